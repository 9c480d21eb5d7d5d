// Atomic replacement of the config file (state_store.h).
#include "control/state_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace vigil::control {
namespace {

std::string errno_text(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// The rename is only durable once the directory entry is on disk.
bool sync_dir(const std::string& dir, std::string* error) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    *error = errno_text("cannot open directory", dir);
    return false;
  }
  const bool ok = ::fsync(fd) == 0;
  if (!ok) *error = errno_text("cannot fsync directory", dir);
  ::close(fd);
  return ok;
}

}  // namespace

bool replace_file_atomically(const std::string& path, const std::string& text, std::string* error) {
  const std::filesystem::path target = std::filesystem::absolute(path);
  const std::string dir = target.parent_path().string();
  const std::string tmp = target.string() + ".tmp." + std::to_string(::getpid());

  mode_t mode = 0644;
  struct stat st;
  if (::stat(target.c_str(), &st) == 0) mode = st.st_mode & 07777;

  // O_EXCL: never write through a file or symlink someone else put at the temporary name.
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) {
    *error = errno_text("cannot create", tmp);
    return false;
  }
  bool ok = true;
  if (!write_all(fd, text)) {
    *error = errno_text("cannot write", tmp);
    ok = false;
  } else if (::fchmod(fd, mode) != 0) {  // the umask may have cut the mode at open()
    *error = errno_text("cannot chmod", tmp);
    ok = false;
  } else if (::fsync(fd) != 0) {
    *error = errno_text("cannot fsync", tmp);
    ok = false;
  }
  if (::close(fd) != 0 && ok) {
    *error = errno_text("cannot close", tmp);
    ok = false;
  }
  if (ok && ::rename(tmp.c_str(), target.c_str()) != 0) {
    *error = errno_text("cannot rename " + tmp + " to", target.string());
    ok = false;
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    return false;
  }
  return sync_dir(dir, error);
}

bool read_file(const std::string& path, std::string* text, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = errno_text("cannot open", path);
    return false;
  }
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) {
    *error = errno_text("cannot read", path);
    return false;
  }
  *text = out.str();
  return true;
}

}  // namespace vigil::control
