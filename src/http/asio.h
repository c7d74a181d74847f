// Includes Boost.Asio and Beast the one way licsat does. Boost 1.74's asio/awaitable.hpp uses
// std::exchange without including <utility>; under C++23 that must come first.
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
