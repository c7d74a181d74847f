// The server's side of an offline exchange: opens a usage-request bundle, ingests its reports
// (idempotent by reportId, as online), and seals a license-answer bundle with the server's key.
// The license database is reached through AnswerSource, so that an authority answering a
// satellite's file runs this same code.
#pragma once

#include <string>
#include <vector>

#include "core/crypto.h"
#include "core/result.h"
#include "protocol/wire_types.h"

namespace licsat::protocol {

class AnswerSource {
 public:
  virtual ~AnswerSource() = default;
  // Every smart account, with its virtual accounts.
  virtual Result<std::vector<Account>> accounts() = 0;
  // Stores one usage report (JSON text, the licensing API's shape) for account/virtual account.
  // A kInvalidArgument or kNotFound error refuses this report only; other errors fail the answer.
  virtual Result<Acknowledgement> ingest(const std::string& account, const std::string& virtual_account,
                                         const std::string& report_json) = 0;
  // The license pools of an account, as GET licenses shows them (after the ingested usage).
  virtual Result<std::vector<LicensePool>> licenses(const std::string& account) = 0;
};

struct AnswerOutcome {
  std::string bundle;            // the signed license-answer file
  std::string manager;           // who asked
  size_t acknowledged = 0;
  size_t refused = 0;
};

// Answers a request file. Errors: kInvalidArgument when the file is not a valid request bundle
// (damaged, wrong kind, bad payload), with a message saying which.
Result<AnswerOutcome> answer_request(const std::string& request_text, AnswerSource& source,
                                     const crypto::SigningKey& key, int64_t now);

}  // namespace licsat::protocol
