// Boost.JSON compiled into the fuzz target itself, so that the library code
// carries the same sanitizer and coverage instrumentation as ours (Debian's
// libboost_json is built without it).
#include <boost/json/src.hpp>
