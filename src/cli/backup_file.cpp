#include "cli/backup_file.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/crypto.h"

namespace licsat::cli {
namespace {

static_assert(sizeof(crypto_generichash_state) <= 512);

constexpr std::string_view kMagic = "licsat-backup-encrypted-1\n";
constexpr size_t kChunk = 64 * 1024;  // plaintext bytes per sealed chunk
constexpr size_t kMaxLine = 256ull * 1024 * 1024;
constexpr size_t kHashBytes = crypto_generichash_BYTES;  // 32: BLAKE2b-256
// argon2id cost of new encrypted backups: libsodium's MODERATE opslimit with 64 MiB. Files state
// their own cost; a reader accepts at most this much memory (a hostile file cannot ask for more).
constexpr uint64_t kKdfOps = crypto_pwhash_OPSLIMIT_MODERATE;
constexpr size_t kKdfMem = 64ull * 1024 * 1024;
constexpr uint64_t kMaxKdfOps = 16;
constexpr size_t kMaxKdfMem = 1024ull * 1024 * 1024;

std::string errno_text() { return std::strerror(errno); }

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}
uint64_t get_u64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

Result<std::string> derive_key(const std::string& passphrase, const unsigned char* salt, uint64_t ops, size_t mem) {
  std::string key(crypto_secretstream_xchacha20poly1305_KEYBYTES, '\0');
  if (crypto_pwhash(reinterpret_cast<unsigned char*>(key.data()), key.size(), passphrase.data(), passphrase.size(),
                    salt, ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
    return fail(Error::internal("cannot derive the backup key (out of memory?)"));
  return key;
}

// Strict UTF-8 (no overlong forms, surrogates or code points past U+10FFFF), as JSON needs.
bool is_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 4;
    if (n == 4 || (n > 0 && i + n >= s.size()) || c == 0xc0 || c == 0xc1 || c > 0xf4) return false;
    for (size_t k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    if (n > 0) {
      auto d = static_cast<unsigned char>(s[i + 1]);
      if ((c == 0xe0 && d < 0xa0) || (c == 0xed && d > 0x9f) || (c == 0xf0 && d < 0x90) || (c == 0xf4 && d > 0x8f))
        return false;
    }
    i += n + 1;
  }
  return true;
}

nlohmann::json to_json(const store::Value& v) {
  if (auto* n = std::get_if<int64_t>(&v)) return *n;
  if (auto* s = std::get_if<std::string>(&v)) {
    if (is_utf8(*s)) return *s;
    return nlohmann::json{{"b64", crypto::to_base64(*s)}};
  }
  return nullptr;
}

Result<store::Value> from_json(const nlohmann::json& j) {
  if (j.is_null()) return store::Value{nullptr};
  if (j.is_number_integer()) return store::Value{j.get<int64_t>()};
  if (j.is_string()) return store::Value{j.get<std::string>()};
  if (j.is_object() && j.size() == 1 && j.contains("b64") && j["b64"].is_string()) {
    auto raw = crypto::from_base64(j["b64"].get<std::string>());
    if (!raw) return fail(raw.error());
    return store::Value{*raw};
  }
  return fail(Error::invalid("a value that is not an integer, a string or null"));
}

}  // namespace

// ---- writing ------------------------------------------------------------------------------

class BackupWriter::Output {
 public:
  Output(int fd, std::string tmp, std::string path) : fd_(fd), tmp_(std::move(tmp)), path_(std::move(path)) {}
  virtual ~Output() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
  }
  virtual Status write(std::string_view bytes) { return raw(bytes); }
  virtual Status finish() { return {}; }

  Status commit() {
    if (auto s = finish(); !s) return s;
    if (auto s = drain(); !s) return s;
    if (::fsync(fd_) != 0) return fail(Error::internal("cannot sync " + tmp_ + ": " + errno_text()));
    ::close(fd_);
    fd_ = -1;
    if (::rename(tmp_.c_str(), path_.c_str()) != 0)
      return fail(Error::internal("cannot rename " + tmp_ + " to " + path_ + ": " + errno_text()));
    committed_ = true;
    std::string dir = std::filesystem::path(path_).parent_path().string();
    if (int d = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); d >= 0) {
      (void)::fsync(d);
      ::close(d);
    }
    return {};
  }

 protected:
  Status raw(std::string_view bytes) {
    buf_.append(bytes);
    return buf_.size() >= kChunk ? drain() : Status{};
  }

 private:
  Status drain() {
    size_t off = 0;
    while (off < buf_.size()) {
      ssize_t n = ::write(fd_, buf_.data() + off, buf_.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return fail(Error::internal("cannot write " + tmp_ + ": " + errno_text()));
      off += static_cast<size_t>(n);
    }
    buf_.clear();
    return {};
  }

  int fd_;
  std::string tmp_, path_;
  std::string buf_;
  bool committed_ = false;
};

namespace {

// The same file, sealed in secretstream chunks after a header: magic, salt, argon2id cost,
// secretstream header.
class SealedOutput final : public BackupWriter::Output {
 public:
  SealedOutput(int fd, std::string tmp, std::string path) : Output(fd, std::move(tmp), std::move(path)) {}
  ~SealedOutput() override { sodium_memzero(&state_, sizeof state_); }

  Status start(const std::string& passphrase) {
    unsigned char salt[crypto_pwhash_SALTBYTES];
    randombytes_buf(salt, sizeof salt);
    auto key = derive_key(passphrase, salt, kKdfOps, kKdfMem);
    if (!key) return fail(key.error());
    unsigned char header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    crypto_secretstream_xchacha20poly1305_init_push(&state_, header,
                                                    reinterpret_cast<const unsigned char*>(key->data()));
    sodium_memzero(key->data(), key->size());
    std::string head(kMagic);
    head.append(reinterpret_cast<const char*>(salt), sizeof salt);
    put_u64(head, kKdfOps);
    put_u64(head, kKdfMem);
    head.append(reinterpret_cast<const char*>(header), sizeof header);
    return raw(head);
  }

  Status write(std::string_view bytes) override {
    plain_.append(bytes);
    while (plain_.size() >= kChunk) {
      if (auto s = seal(std::string_view(plain_).substr(0, kChunk), 0); !s) return s;
      plain_.erase(0, kChunk);
    }
    return {};
  }

  Status finish() override {
    Status s = seal(plain_, crypto_secretstream_xchacha20poly1305_TAG_FINAL);
    plain_.clear();
    return s;
  }

 private:
  Status seal(std::string_view chunk, unsigned char tag) {
    std::string out(4 + chunk.size() + crypto_secretstream_xchacha20poly1305_ABYTES, '\0');
    uint32_t len = static_cast<uint32_t>(out.size() - 4);
    for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((len >> (8 * i)) & 0xff);
    crypto_secretstream_xchacha20poly1305_push(&state_, reinterpret_cast<unsigned char*>(out.data() + 4), nullptr,
                                               reinterpret_cast<const unsigned char*>(chunk.data()), chunk.size(),
                                               nullptr, 0, tag);
    return raw(out);
  }

  crypto_secretstream_xchacha20poly1305_state state_{};
  std::string plain_;
};

}  // namespace

BackupWriter::~BackupWriter() = default;

Result<std::unique_ptr<BackupWriter>> BackupWriter::create(const std::string& path,
                                                           const std::optional<std::string>& passphrase,
                                                           const std::string& source_description) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return fail(Error::invalid("cannot create " + tmp + ": " + errno_text()));
  ::fchmod(fd, 0600);  // whatever the umask, and whoever made the file before
  std::unique_ptr<BackupWriter> w(new BackupWriter());
  w->source_ = source_description;
  crypto_generichash_init(reinterpret_cast<crypto_generichash_state*>(w->hash_state_), nullptr, 0, kHashBytes);
  if (passphrase) {
    auto sealed = std::make_unique<SealedOutput>(fd, tmp, path);
    if (auto s = sealed->start(*passphrase); !s) return fail(s.error());
    w->out_ = std::move(sealed);
  } else {
    w->out_ = std::make_unique<Output>(fd, tmp, path);
  }
  return w;
}

Status BackupWriter::line(const std::string& text) {
  crypto_generichash_update(reinterpret_cast<crypto_generichash_state*>(hash_state_),
                            reinterpret_cast<const unsigned char*>(text.data()), text.size());
  crypto_generichash_update(reinterpret_cast<crypto_generichash_state*>(hash_state_),
                            reinterpret_cast<const unsigned char*>("\n"), 1);
  if (auto s = out_->write(text); !s) return s;
  return out_->write("\n");
}

Status BackupWriter::begin(int64_t schema_version) {
  nlohmann::json h{{"format", "licsat-backup"},     {"version", 1},
                   {"schema", schema_version},      {"created", static_cast<int64_t>(std::time(nullptr))},
                   {"source", source_},             {"licsat", LICSAT_VERSION}};
  return line(h.dump());
}

Status BackupWriter::table(const std::string& name, const std::vector<std::string>& columns) {
  ++tables_;
  return line(nlohmann::json{{"table", name}, {"columns", columns}}.dump());
}

Status BackupWriter::row(const std::vector<store::Value>& values) {
  ++rows_;
  nlohmann::json a = nlohmann::json::array();
  for (const auto& v : values) a.push_back(to_json(v));
  return line(a.dump());
}

Status BackupWriter::end() {
  unsigned char h[kHashBytes];
  crypto_generichash_final(reinterpret_cast<crypto_generichash_state*>(hash_state_), h, sizeof h);
  ended_ = true;
  std::string hex = crypto::to_hex(std::string_view(reinterpret_cast<const char*>(h), sizeof h));
  return line(nlohmann::json{{"end", true}, {"tables", tables_}, {"rows", rows_}, {"blake2b", hex}}.dump());
}

Status BackupWriter::commit() {
  if (!ended_) return fail(Error::internal("backup not complete"));
  return out_->commit();
}

// ---- reading ------------------------------------------------------------------------------

namespace {
Error truncated() {
  return Error::invalid("the backup is truncated (it ends before its last record): nothing was restored");
}

}  // namespace

class BackupReader::Input {
 public:
  explicit Input(int fd) : fd_(fd) {}
  virtual ~Input() { ::close(fd_); }
  virtual bool encrypted() const { return false; }

  // The next line without its "\n"; false at the end of the data. Every line of a backup ends
  // in "\n": a last line without one is a cut file.
  Result<bool> getline(std::string& line) {
    line.clear();
    for (;;) {
      size_t nl = buf_.find('\n', pos_);
      if (nl != std::string::npos) {
        line.append(buf_, pos_, nl - pos_);
        pos_ = nl + 1;
        return true;
      }
      line.append(buf_, pos_, std::string::npos);
      buf_.clear();
      pos_ = 0;
      if (line.size() > kMaxLine) return fail(Error::invalid("the backup has a line longer than 256 MiB"));
      auto more = fill(buf_);
      if (!more) return fail(more.error());
      if (!*more) {
        if (line.empty()) return false;
        return fail(truncated());
      }
    }
  }

 protected:
  // Appends the next bytes of plain text to `out`; false at the end.
  virtual Result<bool> fill(std::string& out) {
    char tmp[kChunk];
    auto n = read_some(tmp, sizeof tmp);
    if (!n) return fail(n.error());
    out.append(tmp, *n);
    return *n > 0;
  }

  Result<size_t> read_some(char* p, size_t n) {
    for (;;) {
      ssize_t r = ::read(fd_, p, n);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return fail(Error::internal("cannot read the backup: " + errno_text()));
      return static_cast<size_t>(r);
    }
  }

  // Reads exactly n bytes; returns how many it got before the end of the file.
  Result<size_t> read_exact(char* p, size_t n) {
    size_t got = 0;
    while (got < n) {
      auto r = read_some(p + got, n - got);
      if (!r) return fail(r.error());
      if (*r == 0) break;
      got += *r;
    }
    return got;
  }

 private:
  int fd_;
  std::string buf_;
  size_t pos_ = 0;
};

namespace {

class SealedInput final : public BackupReader::Input {
 public:
  explicit SealedInput(int fd) : Input(fd) {}
  ~SealedInput() override { sodium_memzero(&state_, sizeof state_); }
  bool encrypted() const override { return true; }

  // Reads the header after the magic and derives the key.
  Status start(const std::string& passphrase) {
    unsigned char head[crypto_pwhash_SALTBYTES + 16 + crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    auto n = read_exact(reinterpret_cast<char*>(head), sizeof head);
    if (!n) return fail(n.error());
    if (*n != sizeof head) return fail(truncated());
    uint64_t ops = get_u64(head + crypto_pwhash_SALTBYTES);
    uint64_t mem = get_u64(head + crypto_pwhash_SALTBYTES + 8);
    if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > kMaxKdfOps || mem < crypto_pwhash_MEMLIMIT_MIN || mem > kMaxKdfMem)
      return fail(Error::invalid("the backup's key-derivation settings are out of range (damaged file?)"));
    auto key = derive_key(passphrase, head, ops, static_cast<size_t>(mem));
    if (!key) return fail(key.error());
    int rc = crypto_secretstream_xchacha20poly1305_init_pull(&state_, head + crypto_pwhash_SALTBYTES + 16,
                                                             reinterpret_cast<const unsigned char*>(key->data()));
    sodium_memzero(key->data(), key->size());
    if (rc != 0) return fail(Error::invalid("the backup's encryption header is damaged"));
    return {};
  }

 protected:
  Result<bool> fill(std::string& out) override {
    if (final_) {
      char extra;
      auto n = read_exact(&extra, 1);
      if (!n) return fail(n.error());
      if (*n) return fail(Error::invalid("the backup has data after its last encrypted chunk: it was altered"));
      return false;
    }
    unsigned char lenb[4];
    auto n = read_exact(reinterpret_cast<char*>(lenb), 4);
    if (!n) return fail(n.error());
    if (*n != 4) return fail(truncated());
    uint32_t len = lenb[0] | (lenb[1] << 8) | (lenb[2] << 16) | (static_cast<uint32_t>(lenb[3]) << 24);
    if (len < crypto_secretstream_xchacha20poly1305_ABYTES || len > kChunk + crypto_secretstream_xchacha20poly1305_ABYTES)
      return fail(Error::invalid("the backup was altered or damaged (chunk " + std::to_string(chunks_ + 1) + " has a bad length)"));
    std::string sealed(len, '\0');
    auto got = read_exact(sealed.data(), len);
    if (!got) return fail(got.error());
    if (*got != len) return fail(truncated());
    std::string plain(len - crypto_secretstream_xchacha20poly1305_ABYTES, '\0');
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(&state_, reinterpret_cast<unsigned char*>(plain.data()), nullptr,
                                                   &tag, reinterpret_cast<const unsigned char*>(sealed.data()), len,
                                                   nullptr, 0) != 0) {
      if (chunks_ == 0) return fail(Error::denied("wrong passphrase (or the backup's first chunk is damaged)"));
      return fail(Error::invalid("the backup was altered or damaged (chunk " + std::to_string(chunks_ + 1) +
                                 " fails authentication): nothing was restored"));
    }
    ++chunks_;
    final_ = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    out.append(plain);
    return true;
  }

 private:
  crypto_secretstream_xchacha20poly1305_state state_{};
  uint64_t chunks_ = 0;
  bool final_ = false;
};

}  // namespace

BackupReader::~BackupReader() = default;
bool BackupReader::encrypted() const { return in_->encrypted(); }

Result<std::unique_ptr<BackupReader>> BackupReader::open(const std::string& path,
                                                         const std::optional<std::string>& passphrase) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(Error::invalid("cannot open " + path + ": " + errno_text()));
  char head[kMagic.size()];
  ssize_t n = ::read(fd, head, sizeof head);
  std::unique_ptr<BackupReader> r(new BackupReader());
  crypto_generichash_init(reinterpret_cast<crypto_generichash_state*>(r->hash_state_), nullptr, 0, kHashBytes);
  if (n == static_cast<ssize_t>(sizeof head) && std::string_view(head, sizeof head) == kMagic) {
    auto sealed = std::make_unique<SealedInput>(fd);
    if (!passphrase) return fail(Error::invalid(path + " is encrypted: give its --passphrase-file"));
    if (auto s = sealed->start(*passphrase); !s) return fail(s.error());
    r->in_ = std::move(sealed);
  } else {
    if (n <= 0 || head[0] != '{') {
      ::close(fd);
      return fail(Error::invalid(path + " is not a licsat backup"));
    }
    if (::lseek(fd, 0, SEEK_SET) != 0) {
      ::close(fd);
      return fail(Error::invalid("cannot read " + path + " from its start (a regular file is needed)"));
    }
    r->in_ = std::make_unique<Input>(fd);
    if (passphrase) return fail(Error::invalid(path + " is not encrypted: drop --passphrase-file"));
  }
  if (auto s = r->read_header(); !s) return fail(s.error());
  return r;
}

Status BackupReader::read_header() {
  auto got = in_->getline(line_);
  if (!got) return fail(got.error());
  if (!*got) return fail(truncated());
  ++line_no_;
  crypto_generichash_update(reinterpret_cast<crypto_generichash_state*>(hash_state_),
                            reinterpret_cast<const unsigned char*>(line_.data()), line_.size());
  crypto_generichash_update(reinterpret_cast<crypto_generichash_state*>(hash_state_),
                            reinterpret_cast<const unsigned char*>("\n"), 1);
  auto h = nlohmann::json::parse(line_, nullptr, false);
  if (h.is_discarded() || !h.is_object() || h.value("format", "") != "licsat-backup" || !h.contains("schema") ||
      !h["schema"].is_number_integer())
    return fail(Error::invalid("not a licsat backup (its first line is not a backup header)"));
  if (h.value("version", 0) != 1)
    return fail(Error::invalid("the backup file format version " + h["version"].dump() +
                               " is newer than this licsat reads (1)"));
  schema_ = h["schema"].get<int64_t>();
  return {};
}

Result<int64_t> BackupReader::schema_version() { return schema_; }

Status BackupReader::next(store::SnapshotItem& item) {
  auto got = in_->getline(line_);
  if (!got) return fail(got.error());
  if (!*got) return fail(truncated());
  ++line_no_;
  const std::string where = "the backup's line " + std::to_string(line_no_) + ": ";
  auto j = nlohmann::json::parse(line_, nullptr, false);
  if (j.is_discarded()) return fail(Error::invalid(where + "not JSON (the file is damaged)"));
  if (j.is_object() && j.contains("end")) {
    unsigned char h[kHashBytes];
    crypto_generichash_final(reinterpret_cast<crypto_generichash_state*>(hash_state_), h, sizeof h);
    std::string hex = crypto::to_hex(std::string_view(reinterpret_cast<const char*>(h), sizeof h));
    const auto* want = j.contains("blake2b") && j["blake2b"].is_string() ? j["blake2b"].get_ptr<const std::string*>() : nullptr;
    if (!want || !crypto::equal_ct(*want, hex))
      return fail(Error::invalid("the backup was altered or damaged (its BLAKE2b hash does not match): nothing was "
                                 "restored"));
    if (j.value("tables", int64_t{-1}) != tables_ || j.value("rows", int64_t{-1}) != rows_)
      return fail(Error::invalid("the backup's end record counts differ from its contents: nothing was restored"));
    std::string extra;
    auto more = in_->getline(extra);
    if (!more) return fail(more.error());
    if (*more) return fail(Error::invalid("the backup has data after its end record: it was altered"));
    item.kind = store::SnapshotItem::Kind::kEnd;
    return {};
  }
  crypto_generichash_update(reinterpret_cast<crypto_generichash_state*>(hash_state_),
                            reinterpret_cast<const unsigned char*>(line_.data()), line_.size());
  crypto_generichash_update(reinterpret_cast<crypto_generichash_state*>(hash_state_),
                            reinterpret_cast<const unsigned char*>("\n"), 1);
  if (j.is_array()) {
    item.kind = store::SnapshotItem::Kind::kRow;
    item.values.clear();
    for (const auto& v : j) {
      auto val = from_json(v);
      if (!val) return fail(Error::invalid(where + val.error().message));
      item.values.push_back(std::move(*val));
    }
    ++rows_;
    return {};
  }
  if (j.is_object() && j.contains("table") && j["table"].is_string() && j.contains("columns") &&
      j["columns"].is_array()) {
    item.kind = store::SnapshotItem::Kind::kTable;
    item.table = j["table"].get<std::string>();
    item.columns.clear();
    for (const auto& c : j["columns"]) {
      if (!c.is_string()) return fail(Error::invalid(where + "a column name that is not a string"));
      item.columns.push_back(c.get<std::string>());
    }
    ++tables_;
    return {};
  }
  return fail(Error::invalid(where + "neither a table, a row nor the end record"));
}

}  // namespace licsat::cli
