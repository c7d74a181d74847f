#include "domain/directory.h"

namespace licsat::domain {

std::string directory_failure_reason(DirectoryFailure f) {
  switch (f) {
    case DirectoryFailure::kNoSuchUser: return "not found in the directory";
    case DirectoryFailure::kAmbiguous: return "multiple directory entries";
    case DirectoryFailure::kBadCredentials: return "directory bind failed";
    case DirectoryFailure::kNotInGroup: return "not in any directory group";
    case DirectoryFailure::kUnreachable: return "directory unreachable";
    case DirectoryFailure::kConfigError: return "directory configuration error";
  }
  return "directory error";
}

}  // namespace licsat::domain
