// Security properties of the running server that docs/security.md points at: response headers,
// where bearer tokens are accepted, logging hygiene for credentials sent in URLs, TLS settings,
// the TLS handshake deadline and file permissions of the data directory.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "harness.h"

using namespace licsat::e2e;

namespace {

const char* kApiCsp = "default-src 'none'; frame-ancestors 'none'";

int mode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 0777);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

RequestOptions form_options() {
  RequestOptions o;
  o.content_type = "application/x-www-form-urlencoded";
  return o;
}

}  // namespace

TEST(Security, ApiAnswersForbidFramingSniffingAndCaching) {
  Server s;
  s.start();
  std::string admin = s.login();
  RequestOptions bearer;
  bearer.bearer = admin;
  std::vector<Reply> answers = {s.get("/healthz"), s.get("/api/v1/me"), s.get("/api/v1/me", bearer), s.get("/nope"),
                                s.post("/oauth/token", "grant_type=password", form_options())};
  for (const auto& r : answers) {
    EXPECT_EQ(r.header("content-security-policy"), kApiCsp) << r.status << " " << r.body;
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << r.status << " " << r.body;
    EXPECT_EQ(r.header("cache-control"), "no-store") << r.status << " " << r.body;
  }
}

TEST(Security, TheWebUiIsServedWithItsCspAndNoFramingOrReferrer) {
  Server s;
  s.start();
  for (const std::string path : {"/", "/index.html", "/js/api.js", "/app.css"}) {
    auto r = s.get(path);
    ASSERT_EQ(r.status, 200) << path;
    std::string csp = r.header("content-security-policy");
    EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << path << ": " << csp;
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("base-uri 'none'"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos) << csp;
    EXPECT_EQ(r.header("x-frame-options"), "DENY") << path;
    EXPECT_EQ(r.header("referrer-policy"), "no-referrer") << path;
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << path;
  }
}

TEST(Security, SecretBearingAnswersAreNotStored) {
  Server s;
  s.start();
  std::string admin = s.login();
  auto made = s.post_json("/api/v1/admin/grants", {{"name", "g"}, {"type", "client_credentials"}}, admin);
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(made.header("cache-control"), "no-store");
  RequestOptions o;
  o.bearer = admin;
  auto fresh = s.post("/api/v1/admin/grants/g/regenerate-secret", "", o);
  ASSERT_EQ(fresh.status, 200) << fresh.body;
  EXPECT_EQ(fresh.header("cache-control"), "no-store");
  std::string auth = "client_id=" + fresh.json()["client_id"].get<std::string>() +
                     "&client_secret=" + fresh.json()["client_secret"].get<std::string>();
  auto tok = s.post("/oauth/token", "grant_type=client_credentials&" + auth, form_options());
  ASSERT_EQ(tok.status, 200) << tok.body;
  EXPECT_EQ(tok.header("cache-control"), "no-store");
  EXPECT_EQ(tok.header("pragma"), "no-cache");
  std::string at = tok.json()["access_token"];
  auto intro = s.post("/oauth/introspect", auth + "&token=" + at, form_options());
  ASSERT_EQ(intro.status, 200);
  EXPECT_EQ(intro.header("cache-control"), "no-store");
  auto rev = s.post("/oauth/revoke", auth + "&token=" + at, form_options());
  ASSERT_EQ(rev.status, 200);
  EXPECT_EQ(rev.header("cache-control"), "no-store");
}

TEST(Security, BearerTokensAreTakenFromTheAuthorizationHeaderOnly) {
  // RFC 6750 §2.3 (URI query) is refused: URLs end up in logs and histories. §2.2 (form body) too.
  Server s;
  s.start();
  std::string admin = s.login();
  auto in_query = s.get("/api/v1/me?access_token=" + admin);
  EXPECT_EQ(in_query.status, 401) << in_query.body;
  RequestOptions form = form_options();
  auto in_body = s.request("POST", "/api/v1/accounts/x/licenses", "access_token=" + admin, form);
  EXPECT_EQ(in_body.status, 401) << in_body.body;
  RequestOptions o;
  o.bearer = admin;
  EXPECT_EQ(s.get("/api/v1/me", o).status, 200);
}

TEST(Security, CredentialsSentInTheQueryStringAreNeverLoggedOrStored) {
  // Field managers send the token request's parameters in the URL (DESIGN.md §5); the server must
  // not keep them anywhere: not in its log, its metrics, its Event Log or its database.
  Server s;
  s.start();
  std::string admin = s.login();
  auto g = s.create_grant("field", "resource_owner", admin);
  s.create_user("fielduser", "operator", "field-user-password-1", admin);
  std::string id = g["client_id"], secret = g["client_secret"];
  auto ok = s.post("/backend/oauth/token?grant_type=password&client_id=" + id + "&client_secret=" + secret +
                       "&username=fielduser&password=field-user-password-1",
                   "");
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto bad = s.post("/backend/oauth/token?grant_type=password&client_id=" + id + "&client_secret=" + secret +
                        "&username=fielduser&password=wrong-query-password-9",
                    "");
  EXPECT_EQ(bad.status, 400);
  auto metrics = s.get("/metrics").body;
  std::string access = ok.json()["access_token"], refresh = ok.json()["refresh_token"];
  s.stop();
  std::vector<std::string> secrets = {secret, "field-user-password-1", "wrong-query-password-9", access, refresh};
  std::vector<std::string> files = {s.log_file()};
  for (auto& e : std::filesystem::recursive_directory_iterator(s.data_dir()))
    if (e.is_regular_file()) files.push_back(e.path());
  for (const auto& f : files) {
    std::string content = slurp(f);
    for (const auto& x : secrets) EXPECT_EQ(content.find(x), std::string::npos) << "found a credential in " << f;
  }
  for (const auto& x : secrets) EXPECT_EQ(metrics.find(x), std::string::npos) << "found a credential in /metrics";
}

TEST(Security, TlsRefusesWeakCiphersRenegotiationAndCompression) {
  Server s;
  s.start();
  std::string connect = "timeout 10 openssl s_client -connect 127.0.0.1:" + std::to_string(s.port());
  // Static RSA key exchange, CBC and SHA-1 suites: refused.
  for (const char* c : {"AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES128-SHA256"}) {
    auto r = run_command(connect + " -tls1_2 -cipher " + c + " </dev/null 2>&1");
    EXPECT_NE(r.output.find("Cipher is (NONE)"), std::string::npos) << c << "\n" << r.output;
  }
  // Forward-secret AEAD suites: accepted.
  for (const char* c : {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"}) {
    auto r = run_command(connect + " -tls1_2 -cipher " + c + " </dev/null 2>&1");
    EXPECT_NE(r.output.find(std::string("Cipher is ") + c), std::string::npos) << c << "\n" << r.output;
    EXPECT_NE(r.output.find("Compression: NONE"), std::string::npos) << r.output;
  }
  // Client-initiated renegotiation ("R" in s_client) is refused.
  auto reneg = run_command("(sleep 1; echo R; sleep 2) | " + connect + " -tls1_2 2>&1");
  EXPECT_NE(reneg.output.find("RENEGOTIATING"), std::string::npos) << reneg.output;
  EXPECT_NE(reneg.output.find("no renegotiation"), std::string::npos) << reneg.output;
  EXPECT_EQ(s.get("/healthz").status, 200);
}

TEST(Security, AConnectionThatNeverCompletesTheTlsHandshakeIsClosed) {
  Server s({"--read-timeout", "2s"});
  s.start();
  // Open TCP, send nothing: the server must hang up (cat sees end of file) well before 10 s.
  auto r = run_command("timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(s.port()) +
                       "; cat <&3 >/dev/null'; echo rc=$?");
  EXPECT_NE(r.output.find("rc=0"), std::string::npos) << r.output;
  EXPECT_EQ(s.get("/healthz").status, 200);
}

TEST(Security, DataDirectoryDatabaseAndKeysAreOwnerOnly) {
  Server s;
  ::chmod(s.data_dir().c_str(), 0755);  // as an operator's mkdir would leave it
  mode_t old = ::umask(022);            // the server inherits a usual umask
  s.start();
  ::umask(old);
  (void)s.login();  // some writes, so that SQLite's -wal file exists
  EXPECT_EQ(mode_of(s.data_dir()), 0700);
  EXPECT_EQ(mode_of(s.data_dir() + "/tls/key.pem"), 0600);
  if (s.database_url().empty()) {
    EXPECT_EQ(mode_of(s.data_dir() + "/licsat.db"), 0600) << "the database holds the server's keys";
    for (const char* side : {"/licsat.db-wal", "/licsat.db-shm"}) {
      int m = mode_of(s.data_dir() + side);
      if (m >= 0) {
        EXPECT_EQ(m, 0600) << side;
      }
    }
  }
}

// ---- P7: lockout as denial of service ----

namespace {

Reply password_login(const Server& s, const std::string& user, const std::string& password) {
  return s.post("/oauth/token", "grant_type=password&client_id=licsat-admin&username=" + user + "&password=" + password,
                form_options());
}

// `licsat serve --unlock-user NAME` against the running server's data dir (and its database URL
// on PostgreSQL), with extra arguments and a shell prefix (e.g. a pipe into stdin).
CommandResult break_glass(const Server& s, const std::string& name, const std::string& extra = "",
                          const std::string& stdin_text = "") {
  std::string cmd = licsat_binary() + " serve --data " + s.data_dir() + " --unlock-user " + name;
  if (!s.database_url().empty()) cmd += " --database '" + s.database_url() + "'";
  cmd += extra;
  if (!stdin_text.empty()) cmd = "printf '%s\\n' '" + stdin_text + "' | " + cmd;
  else cmd += " </dev/null";
  return run_command(cmd);
}

}  // namespace

TEST(Security, BreakGlassUnlockBringsBackTheOnlyAdminLockedOutFromTheNetwork) {
  // The worst case: locks last until an admin unlocks (auth.lockout_duration = 0), and anyone who
  // reaches the token endpoint locks the only admin with five bad passwords.
  TempDir cfgdir;
  std::string cfg = cfgdir.path() + "/licsat.toml";
  std::ofstream(cfg) << "[auth]\nlockout_duration = \"0\"\n";
  Server s({"--config", cfg});
  s.start();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(password_login(s, "admin", "not-the-password").status, 400);
  auto locked = password_login(s, "admin", kAdminPassword);
  ASSERT_EQ(locked.status, 400) << locked.body;
  EXPECT_NE(locked.json()["error_message"].get<std::string>().find("locked"), std::string::npos) << locked.body;

  // An unknown user: a clear message, non-zero exit, nothing changed.
  auto ghost = break_glass(s, "ghost");
  EXPECT_EQ(ghost.exit_code, 1) << ghost.output;
  EXPECT_NE(ghost.output.find("there is no user 'ghost'"), std::string::npos) << ghost.output;
  EXPECT_NE(ghost.output.find("admin"), std::string::npos) << "it names the users there are: " << ghost.output;

  // On the host, with the data directory, while the server runs.
  auto r = break_glass(s, "admin");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("unlocked user admin"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("user.unlock by local:"), std::string::npos) << r.output;
  ASSERT_TRUE(s.running());
  std::string admin = s.login();
  ASSERT_FALSE(admin.empty());

  RequestOptions bearer;
  bearer.bearer = admin;
  auto ev = s.get("/api/v1/admin/events?action=user.unlock", bearer);
  ASSERT_EQ(ev.status, 200) << ev.body;
  auto events = ev.json()["events"];
  ASSERT_EQ(events.size(), 1u) << ev.body;
  EXPECT_EQ(events[0]["actor"].get<std::string>().rfind("local:", 0), 0u) << ev.body;
  EXPECT_EQ(events[0]["source_ip"], "local") << ev.body;
  EXPECT_NE(events[0]["detail"].get<std::string>().find("break-glass"), std::string::npos) << ev.body;
  EXPECT_NE(events[0]["detail"].get<std::string>().find("was locked"), std::string::npos) << ev.body;

  // A forgotten password: --password-stdin also sets it (after the policy check) and ends the
  // user's sessions.
  auto weak = break_glass(s, "admin", " --password-stdin", "short");
  EXPECT_EQ(weak.exit_code, 2) << weak.output;
  EXPECT_EQ(password_login(s, "admin", kAdminPassword).status, 200) << "a refused password changes nothing";
  auto reset = break_glass(s, "admin", " --password-stdin", "a-new-admin-password");
  ASSERT_EQ(reset.exit_code, 0) << reset.output;
  EXPECT_EQ(s.get("/api/v1/me", bearer).status, 401) << "the old sessions ended with the old password";
  EXPECT_EQ(password_login(s, "admin", kAdminPassword).status, 400);
  EXPECT_EQ(password_login(s, "admin", "a-new-admin-password").status, 200);
}

TEST(Security, ALockoutFromTheNetworkIsTemporaryAndLeavesLiveSessionsAlone) {
  Server s;
  s.start();
  std::string admin = s.login();
  RequestOptions bearer;
  bearer.bearer = admin;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(password_login(s, "admin", "not-the-password").status, 400);
  auto locked = password_login(s, "admin", kAdminPassword);
  ASSERT_EQ(locked.status, 400) << locked.body;
  std::string words = locked.json()["error_message"].get<std::string>();
  EXPECT_NE(words.find("is locked"), std::string::npos) << words;
  EXPECT_NE(words.find("Try again in 15 minutes"), std::string::npos) << words;
  // No oracle during the lock: a wrong password gets the very same answer.
  EXPECT_EQ(password_login(s, "admin", "not-the-password").json()["error_message"], words);
  // The admin already signed in keeps working, sees the lock and can lift it.
  auto users = s.get("/api/v1/admin/users", bearer);
  ASSERT_EQ(users.status, 200) << users.body;
  auto u = users.json()["users"][0];
  EXPECT_EQ(u["name"], "admin");
  // The lock is for the address the failures came from only (issue 21 item 3).
  EXPECT_EQ(u["locked"], false) << users.body;
  ASSERT_TRUE(u.contains("locked_from")) << users.body;
  EXPECT_EQ(u["locked_from"].size(), 1u) << users.body;
  EXPECT_EQ(s.post("/api/v1/admin/users/admin/unlock", "", bearer).status, 200);
  EXPECT_EQ(password_login(s, "admin", kAdminPassword).status, 200);
}
