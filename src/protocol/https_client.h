// An HTTPS client on libcurl for the admin CLI, the manager and a satellite's upstream link:
// one keep-alive connection, a CA file or --insecure, an optional HTTP(S) proxy (credentials in
// its URL; otherwise the usual https_proxy/no_proxy variables apply). Transport failures are
// classified (DNS, connect, proxy, TLS, timeout) so callers can say what to fix.
#pragma once

#include <expected>
#include <map>
#include <string>
#include <vector>

namespace licsat::protocol {

struct ClientOptions {
  std::string base_url;       // https://host:port
  std::string ca_file;        // trust this CA (or self-signed certificate) instead of the system store
  bool insecure = false;      // skip certificate checks (tests only)
  std::string proxy;          // http://user:pass@proxy:3128; empty: environment
  long timeout_seconds = 60;
  long connect_timeout_seconds = 10;
};

struct HttpReply {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

enum class TransportFailure { kDns, kProxy, kConnect, kTls, kCertificate, kTimeout, kOther, kCaFile };

struct TransportError {
  TransportFailure kind = TransportFailure::kOther;
  std::string message;       // curl's words plus ours
  std::string proxy;         // the proxy in effect, empty when direct (may hold credentials: redact before printing)
  long proxy_status = 0;     // the proxy's answer to CONNECT when it refused the tunnel (403, 407, 500…)
  long verify_result = 0;    // OpenSSL's X509 verification result on certificate failures
  std::string host;          // the server's host name, for messages
  long port = 0;
};
const char* transport_failure_name(TransportFailure k);

// The proxy libcurl will use for `url`: `explicit_proxy` if given, else https_proxy / HTTPS_PROXY /
// all_proxy (http_proxy for http URLs) unless no_proxy excludes the host. Empty: direct.
std::string effective_proxy(const std::string& url, const std::string& explicit_proxy);

class HttpsClient {
 public:
  explicit HttpsClient(ClientOptions opt);
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  std::expected<HttpReply, TransportError> request(const std::string& method, const std::string& path,
                                                   const std::string& body = "",
                                                   const std::string& content_type = "application/json",
                                                   const std::vector<std::string>& headers = {});
  // Sets "Authorization: Bearer …" for the following requests.
  void set_bearer(const std::string& token) { bearer_ = token; }
  const ClientOptions& options() const { return opt_; }

 private:
  ClientOptions opt_;
  void* curl_;
  std::string bearer_;
};

}  // namespace licsat::protocol
