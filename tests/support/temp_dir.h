// A directory under $TMPDIR (or /tmp) removed with everything in it when the
// object goes away. Tests put their SQLite files, certificates and logs here.
#ifndef CORSD_TESTS_SUPPORT_TEMP_DIR_H_
#define CORSD_TESTS_SUPPORT_TEMP_DIR_H_

#include <string>

namespace corsd::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace corsd::testing

#endif  // CORSD_TESTS_SUPPORT_TEMP_DIR_H_
