// The one conversion from a request Beast has parsed to the HTTP layer's own Request: the
// server's sessions and the HTTP fuzz target (tests/fuzz/http_request_fuzz.cpp) both use it.
#pragma once

#include <string>

#include "http/asio.h"
#include "http/message.h"

namespace licsat::http {

// Splits the target into path and query, lower-cases header names and moves the body out.
Request to_request(boost::beast::http::request<boost::beast::http::string_body>&& msg, std::string peer);

// The same from a header alone (copied; the body is left empty): what a route's header check
// (Precheck) is given before the body is read.
Request request_head(const boost::beast::http::request_header<>& head, std::string peer);

}  // namespace licsat::http
