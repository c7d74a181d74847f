// Raw bytes from a client, read the way the server's session reads them (src/http/server.cpp):
// Beast's request parser with the server's header and body limits, the route's own body limit
// applied once the header is in, then the request handed to the real router of a whole App
// (every route of src/api). Several requests may follow each other on one connection.
//
// "@ADMIN@" in the input becomes the admin's bearer token, so that protected routes are reached.
// Checked besides memory errors and undefined behaviour: no response header carries CR or LF
// (a handler echoing request bytes into a header would split the response).
#include <cstdlib>

#include "fuzz_app.h"
#include "http/asio.h"
#include "http/beast_request.h"

namespace bhttp = boost::beast::http;
using namespace licsat;

namespace {

void check_response(const http::Response& r) {
  for (const auto& [k, v] : r.headers)
    if (k.find_first_of("\r\n") != std::string::npos || v.find_first_of("\r\n") != std::string::npos) std::abort();
  if (r.status < 100 || r.status > 599) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& fa = fuzz::fuzz_app();
  const auto& limits = fa.app->config.limits;
  std::string raw(reinterpret_cast<const char*>(data), size);
  fuzz::replace_all(raw, "@ADMIN@", fa.admin_token);

  boost::asio::const_buffer buf(raw.data(), raw.size());
  for (int n = 0; n < 4 && buf.size() > 0; ++n) {  // keep-alive: at most four requests
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<uint32_t>(limits.max_header_bytes));
    parser.body_limit(static_cast<uint64_t>(std::max(limits.max_body_bytes, limits.max_usage_body_bytes)));
    boost::beast::error_code ec;
    bool limit_applied = false;
    while (!parser.is_done()) {
      size_t used = parser.put(buf, ec);
      buf += used;
      if (ec == bhttp::error::need_more) {
        ec = {};
        if (used == 0) break;  // the connection would wait for more bytes; the input has none
        continue;
      }
      if (ec) break;
      if (parser.is_header_done() && !limit_applied) {
        limit_applied = true;
        auto& h = parser.get();
        std::string target(h.target());
        std::string path = target.substr(0, target.find('?'));
        int64_t limit = fa.app->router.body_limit(std::string(h.method_string()), path, limits.max_body_bytes);
        if (auto len = parser.content_length(); len && static_cast<int64_t>(*len) > limit) {
          ec = bhttp::error::body_limit;  // 413, connection closed
          break;
        }
        parser.body_limit(static_cast<uint64_t>(limit));
      }
      if (used == 0 && !parser.is_done()) break;
    }
    if (ec || !parser.is_done()) {
      if (!ec && parser.got_some() && buf.size() == 0) parser.put_eof(ec);  // connection closed mid-message
      if (ec || !parser.is_done()) return 0;                                // 400/413/431, or EOF: closed
    }

    auto msg = parser.release();
    bool keep = msg.keep_alive();
    http::Request req = http::to_request(std::move(msg), "192.0.2.7");
    check_response(fa.serve(req));
    if (!keep) break;
  }
  return 0;
}
