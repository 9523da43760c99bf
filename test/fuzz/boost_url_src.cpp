// Boost.URL compiled into the fuzz targets that use it, with their
// instrumentation (Debian's libboost_url is built without it).
#include <boost/url/src.hpp>
