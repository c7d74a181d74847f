// Directory users end to end: a REAL OpenLDAP slapd (Debian's) started by the test on a loopback
// port with a generated slapd.conf (back_mdb) and data loaded by slapadd; licsat's [ldap] points
// at it. Roles come from groupOfNames membership, a user in no group is refused, a wrong password
// and a filter injection are refused, and with the directory stopped the local admin still logs
// in while directory users are refused with "directory unreachable" in the Event Log.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "harness.h"
#include "http/message.h"

namespace licsat::e2e {
namespace {

constexpr const char* kSlapd = "/usr/sbin/slapd";
constexpr const char* kSuffix = "dc=example,dc=org";
constexpr const char* kServicePassword = "service-account-pw";
constexpr const char* kUserPassword = "directory-user-pw";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Waits (30 s at most, a failure bound only) until `done` holds.
bool await(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// A TCP socket bound to a free loopback port (port 0); `port` receives the port.
int bound_socket(int& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

// A free loopback TCP port, closed again: slapd cannot bind port 0 and report the port it got.
int free_port() {
  int port = 0;
  ::close(bound_socket(port));
  return port;
}

bool accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

std::string person(const std::string& uid, const std::string& ou = "ou=people") {
  return "dn: uid=" + uid + "," + ou + "," + kSuffix + "\nobjectClass: inetOrgPerson\nuid: " + uid + "\ncn: " + uid +
         "\nsn: " + uid + "\nuserPassword: " + kUserPassword + "\n\n";
}

std::string group(const std::string& cn, const std::vector<std::string>& uids) {
  std::string g = "dn: cn=" + cn + ",ou=groups," + kSuffix + "\nobjectClass: groupOfNames\ncn: " + cn + "\n";
  for (const auto& u : uids) g += "member: uid=" + u + ",ou=people," + kSuffix + "\n";
  return g + "\n";
}

// slapd with a generated slapd.conf and an mdb database filled by slapadd, in the foreground.
// Users: alice (admin group), oscar (operators), vera (viewers), both (viewers and admins),
// nemo (no group), and "twin" twice under the user base.
class Slapd {
 public:
  // `tls`: with a certificate for 127.0.0.1 from a test CA made here (ca_file()), for StartTLS.
  explicit Slapd(bool tls = false) {
    std::string d = dir_.path();
    ::mkdir((d + "/db").c_str(), 0700);
    std::string tls_conf;
    if (tls) {
      make_ca(d);
      std::ofstream(d + "/san.ext") << "subjectAltName=IP:127.0.0.1\n";
      auto made =
          run_command("cd " + d +
                      " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                      "-subj /CN=127.0.0.1 -keyout server.key -out server.csr 2>&1 && openssl x509 -req -in "
                      "server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.pem");
      EXPECT_EQ(made.exit_code, 0) << made.output;
      tls_conf = "TLSCACertificateFile " + d + "/ca.pem\nTLSCertificateFile " + d +
                 "/server.pem\nTLSCertificateKeyFile " + d + "/server.key\n";
    }
    std::ofstream(d + "/slapd.conf")
        << tls_conf
        << "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\n"
           "include /etc/ldap/schema/inetorgperson.schema\nmodulepath /usr/lib/ldap\nmoduleload back_mdb\n"
           "pidfile "
        << d
        << "/slapd.pid\n"
           "database mdb\nmaxsize 10485760\nsuffix \""
        << kSuffix << "\"\nrootdn \"cn=root," << kSuffix
        << "\"\n"
           "directory "
        << d
        << "/db\n"
           "access to attrs=userPassword by anonymous auth by * none\n"
           "access to * by users read by anonymous auth\n";
    std::string ldif = std::string("dn: ") + kSuffix +
                       "\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: example\n\n" +
                       "dn: ou=people," + kSuffix + "\nobjectClass: organizationalUnit\nou: people\n\n" +
                       "dn: ou=contractors,ou=people," + kSuffix +
                       "\nobjectClass: organizationalUnit\nou: contractors\n\n" + "dn: ou=groups," + kSuffix +
                       "\nobjectClass: organizationalUnit\nou: groups\n\n" + "dn: cn=licsat," + kSuffix +
                       "\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n" +
                       "cn: licsat\nuserPassword: " + kServicePassword + "\n\n";
    for (const char* u : {"alice", "oscar", "vera", "both", "nemo", "twin"}) ldif += person(u);
    ldif += person("twin", "ou=contractors,ou=people");
    ldif += group("licsat-admins", {"alice", "both"});
    ldif += group("licsat-operators", {"oscar"});
    ldif += group("licsat-viewers", {"vera", "both"});
    std::ofstream(d + "/data.ldif") << ldif;
    auto added = run_command("/usr/sbin/slapadd -f " + d + "/slapd.conf -l " + d + "/data.ldif");
    EXPECT_EQ(added.exit_code, 0) << added.output;
    start();
  }
  ~Slapd() { stop(); }

  // Starts (again) on the same port once it has one; a port another process took meanwhile
  // is replaced by a new one on the first start only.
  void start() {
    for (int attempt = 0; attempt < 3 && pid_ <= 0; ++attempt) {
      if (port_ == 0 || attempt > 0) port_ = free_port();
      std::string d = dir_.path(), url = "ldap://127.0.0.1:" + std::to_string(port_) + "/";
      pid_ = fork();
      if (pid_ == 0) {
        FILE* lf = std::fopen((d + "/slapd.log").c_str(), "ab");
        if (lf) {
          dup2(fileno(lf), 1);
          dup2(fileno(lf), 2);
        }
        std::string cf = d + "/slapd.conf";
        // -d: the foreground, logging to stderr (256: connections and operations).
        execl(kSlapd, "slapd", "-d", "256", "-f", cf.c_str(), "-h", url.c_str(), static_cast<char*>(nullptr));
        _exit(127);
      }
      bool up = await([&] {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) return pid_ = -1, true;  // it exited: the port was taken
        return accepts(port_);
      });
      if (up && pid_ > 0) return;
      stop();
    }
    ADD_FAILURE() << "slapd did not start:\n" << read_file(dir_.path() + "/slapd.log");
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // A self-signed test CA in DIR/ca.pem (its key in DIR/ca.key).
  static void make_ca(const std::string& dir) {
    auto made = run_command(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=licsat-test-ca -keyout " +
        dir + "/ca.key -out " + dir + "/ca.pem");
    EXPECT_EQ(made.exit_code, 0) << made.output;
  }

  int port() const { return port_; }
  std::string ca_file() const { return dir_.path() + "/ca.pem"; }
  std::string log() const { return read_file(dir_.path() + "/slapd.log"); }

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

bool slapd_installed() { return ::access(kSlapd, X_OK) == 0; }

// A licsat server whose [ldap] section points at `slapd`; `extra` is appended to the section.
class DirectoryServer {
 public:
  DirectoryServer(const Slapd& slapd, const std::string& extra = "") : DirectoryServer(slapd.port(), extra) {}
  // A directory at ldap://127.0.0.1:PORT, whatever listens there.
  DirectoryServer(int port, const std::string& extra) {
    std::string d = dir_.path();
    std::ofstream(d + "/ldap-password") << kServicePassword << "\n";
    ::chmod((d + "/ldap-password").c_str(), 0600);
    std::ofstream(d + "/licsat.toml") << "[ldap]\nurl = \"ldap://127.0.0.1:" << port << "\"\nbind_dn = \"cn=licsat,"
                                      << kSuffix << "\"\n"
                                      << "bind_password_file = \"" << d << "/ldap-password\"\nuser_base = \"ou=people,"
                                      << kSuffix << "\"\n"
                                      << "user_filter = \"(uid={user})\"\nadmin_group = \"cn=licsat-admins,ou=groups,"
                                      << kSuffix << "\"\n"
                                      << "operator_group = \"cn=licsat-operators,ou=groups," << kSuffix << "\"\n"
                                      << "viewer_group = \"cn=licsat-viewers,ou=groups," << kSuffix
                                      << "\"\ntimeout = \"2s\"\n"
                                      << extra;
    server_ = std::make_unique<Server>(std::vector<std::string>{"--config", d + "/licsat.toml"});
    server_->start();
    admin_ = server_->login();
  }

  Server& server() { return *server_; }

  Reply token(const std::string& user, const std::string& password) const {
    RequestOptions o;
    o.content_type = "application/x-www-form-urlencoded";
    return server_->post("/oauth/token",
                         "grant_type=password&client_id=licsat-admin&username=" + user + "&password=" + password, o);
  }
  // What the server says of a token's holder: GET /api/v1/me.
  nlohmann::json me(const std::string& access_token) const {
    RequestOptions o;
    o.bearer = access_token;
    return server_->get("/api/v1/me", o).json();
  }
  // Waits for a token.issue event whose detail holds every one of `parts` (the Event Log's
  // writer is batched: the event may land after the answer).
  bool await_event(const std::string& outcome, const std::vector<std::string>& parts) const {
    return await([&] {
      RequestOptions o;
      o.bearer = admin_;
      auto r = server_->get("/api/v1/admin/events?action=token.issue&limit=1000&outcome=" + outcome, o);
      for (auto& e : r.json()["events"]) {
        std::string detail = e.value("detail", "");
        bool all = true;
        for (const auto& p : parts) all = all && detail.find(p) != std::string::npos;
        if (all) return true;
      }
      return false;
    });
  }
  // Every event detail, to prove what is never in them.
  std::string all_events() const {
    RequestOptions o;
    o.bearer = admin_;
    return server_->get("/api/v1/admin/events?limit=1000", o).body;
  }

 private:
  TempDir dir_;
  std::unique_ptr<Server> server_;
  std::string admin_;
};

class Ldap : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!slapd_installed()) return;
    slapd_ = new Slapd();
    server_ = new DirectoryServer(*slapd_);
  }
  static void TearDownTestSuite() {
    delete server_;
    delete slapd_;
    server_ = nullptr;
    slapd_ = nullptr;
  }
  void SetUp() override {
    if (!slapd_installed()) GTEST_SKIP() << "slapd not installed (scripts/install-deps.sh installs it)";
  }
  // Logs in and answers the access token ("" when refused).
  static std::string login(const std::string& user, const std::string& password = kUserPassword) {
    auto r = server_->token(user, password);
    return r.status == 200 ? r.json().value("access_token", "") : "";
  }
  static void expect_refused(const Reply& r) {
    // The same answer as a local user's wrong password: no step of the directory is told.
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json().value("error", ""), "invalid_grant") << r.body;
    EXPECT_EQ(r.json().value("error_description", ""),
              "Invalid user credentials: the user name or password is incorrect.")
        << r.body;
  }

  static inline Slapd* slapd_ = nullptr;
  static inline DirectoryServer* server_ = nullptr;
};

TEST_F(Ldap, GroupMembersLogInWithTheirGroupsRoleAndTheHighestWins) {
  for (auto [user, role] : std::vector<std::pair<std::string, std::string>>{
           {"alice", "admin"}, {"oscar", "operator"}, {"vera", "viewer"}, {"both", "admin"}}) {
    std::string token = login(user);
    ASSERT_FALSE(token.empty()) << user << ": " << server_->token(user, kUserPassword).body << "\n" << slapd_->log();
    auto me = server_->me(token);
    EXPECT_EQ(me.value("name", ""), user);
    EXPECT_EQ(me.value("role", ""), role) << user;
    EXPECT_TRUE(server_->await_event("success", {"directory user 'uid=" + user + ",ou=people", "with role " + role}))
        << user;
  }
  // The role is enforced: an operator may not list users, an admin may.
  RequestOptions o;
  o.bearer = login("oscar");
  EXPECT_EQ(server_->server().get("/api/v1/admin/users", o).status, 403);
  o.bearer = login("alice");
  EXPECT_EQ(server_->server().get("/api/v1/admin/users", o).status, 200);
}

TEST_F(Ldap, AUserInNoGroupIsRefusedWithTheReasonInTheEventLog) {
  expect_refused(server_->token("nemo", kUserPassword));
  EXPECT_TRUE(server_->await_event("failure", {"not in any directory group for 'nemo'"}));
}

TEST_F(Ldap, AWrongOrEmptyPasswordIsRefusedAndNeverLogged) {
  expect_refused(server_->token("vera", "wrong-password-typed"));
  EXPECT_TRUE(server_->await_event("failure", {"directory bind failed for 'vera'", "Invalid credentials"}));
  // An empty password would be an unauthenticated bind, which slapd answers with success.
  auto empty = server_->token("vera", "");
  EXPECT_EQ(empty.status, 400) << empty.body;
  EXPECT_EQ(server_->all_events().find("wrong-password-typed"), std::string::npos);
  EXPECT_EQ(server_->all_events().find(kUserPassword), std::string::npos);
  EXPECT_EQ(server_->all_events().find(kServicePassword), std::string::npos);
}

TEST_F(Ldap, AFilterInjectionMatchesNobody) {
  // Unescaped, (uid=*)(uid=*) would match every user; with any user's password it would log in.
  for (const char* name : {"*", "*)(uid=*", "alice)(|(uid=*", "al*"}) {
    expect_refused(server_->token(http::url_encode(name), kUserPassword));
  }
  EXPECT_TRUE(server_->await_event("failure", {"not found in the directory"}));
  EXPECT_EQ(slapd_->log().find("filter=\"(uid=*)"), std::string::npos) << slapd_->log();
}

TEST_F(Ldap, SeveralEntriesForOneNameAreRefused) {
  expect_refused(server_->token("twin", kUserPassword));
  EXPECT_TRUE(server_->await_event("failure", {"multiple directory entries for 'twin'"}));
}

TEST_F(Ldap, NamesDifferingInCaseShareOneLockout) {
  // Five wrong passwords spread over case variants lock the name for this address.
  for (const char* name : {"Oscar", "OSCAR", "oScar", "osCar", "oscaR"})
    expect_refused(server_->token(name, "wrong-password"));
  auto locked = server_->token("oscar", kUserPassword);
  EXPECT_EQ(locked.status, 400) << locked.body;
  EXPECT_NE(locked.json().value("error_description", "").find("locked"), std::string::npos) << locked.body;
}

TEST(LdapDown, TheLocalAdminLogsInWhileDirectoryUsersAreRefusedAsUnreachable) {
  if (!slapd_installed()) GTEST_SKIP() << "slapd not installed (scripts/install-deps.sh installs it)";
  Slapd slapd;
  DirectoryServer s(slapd);
  RequestOptions form;
  form.content_type = "application/x-www-form-urlencoded";
  ASSERT_EQ(s.token("alice", kUserPassword).status, 200);
  slapd.stop();
  EXPECT_FALSE(s.server().login().empty());  // the break-glass account
  auto r = s.token("alice", kUserPassword);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json().value("error", ""), "invalid_grant");
  EXPECT_TRUE(s.await_event("failure", {"directory unreachable for 'alice'"}));
  // Unreachable is no guess: repeated tries do not lock alice, who logs in once it is back.
  for (int i = 0; i < 6; ++i) EXPECT_EQ(s.token("alice", kUserPassword).status, 400);
  slapd.start();
  EXPECT_EQ(s.token("alice", kUserPassword).status, 200) << slapd.log();
}

TEST(LdapTls, StartTlsWithTheDirectorysCaLogsInAndAnotherCaIsRefusedAsUnreachable) {
  if (!slapd_installed()) GTEST_SKIP() << "slapd not installed (scripts/install-deps.sh installs it)";
  Slapd slapd(/*tls=*/true);
  DirectoryServer trusting(slapd, "start_tls = true\nca_file = \"" + slapd.ca_file() + "\"\n");
  auto ok = trusting.token("alice", kUserPassword);
  ASSERT_EQ(ok.status, 200) << ok.body << "\n" << slapd.log();
  EXPECT_TRUE(trusting.await_event("success", {"directory user 'uid=alice,ou=people", "with role admin"}));

  TempDir other;
  Slapd::make_ca(other.path());
  DirectoryServer wary(slapd, "start_tls = true\nca_file = \"" + other.path() + "/ca.pem\"\n");
  auto refused = wary.token("alice", kUserPassword);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_TRUE(wary.await_event("failure", {"directory unreachable for 'alice'", "StartTLS failed"}));
}

TEST(LdapHang, ADirectoryThatAcceptsAndNeverAnswersTimesOutAsUnreachable) {
  // A listening socket nobody accepts from: the kernel completes the connection, and the bind
  // request waits for an answer that never comes, until ldap.timeout (2 s here).
  int port = 0;
  int fd = bound_socket(port);
  ASSERT_GT(port, 0);
  ASSERT_EQ(::listen(fd, 64), 0);
  DirectoryServer s(port, "");
  auto r = s.token("alice", kUserPassword);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json().value("error", ""), "invalid_grant");
  EXPECT_TRUE(s.await_event("failure", {"directory unreachable for 'alice'"}));
  EXPECT_FALSE(s.server().login().empty());  // the local admin is not held up
  ::close(fd);
}

}  // namespace
}  // namespace licsat::e2e
