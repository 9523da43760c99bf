// The main of every test program. The machine's proxy variables are
// dropped first: the tests talk to servers on loopback, and a client (or a
// CLI or curl child) must not send that through a proxy of the machine's
// unless a test sets one itself (test/client/proxy_test.cpp).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>

int main(int argc, char** argv)
{
    for (const char* v : {"https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY",
                          "all_proxy", "ALL_PROXY"})
        ::unsetenv(v);
    doctest::Context ctx;
    ctx.applyCommandLine(argc, argv);
    return ctx.run();
}
