// Where the control service keeps the running configuration: vigild's config file, replaced
// atomically (temporary file in the same directory, fsync, rename, fsync of the directory) so a
// crash at any point leaves either the old or the new file, never a mix.
#pragma once

#include <functional>
#include <string>

namespace vigil::control {

// Replaces the content of `path` with `text`: writes `<path>.tmp.<pid>`, fsyncs it, renames it
// over `path` and fsyncs the directory. The file keeps the permissions of the one it replaces
// (0644 for a new one). False with *error, `path` untouched and no temporary file left behind.
bool replace_file_atomically(const std::string& path, const std::string& text, std::string* error);

// Reads the whole of `path`; false with *error.
bool read_file(const std::string& path, std::string* text, std::string* error);

class StateStore {
 public:
  using Writer =
      std::function<bool(const std::string& path, const std::string& text, std::string* error)>;

  // `writer` is replaceable so tests can make persistence fail.
  explicit StateStore(std::string path, Writer writer = replace_file_atomically)
      : path_(std::move(path)), writer_(std::move(writer)) {}

  const std::string& path() const { return path_; }
  bool save(const std::string& text, std::string* error) const {
    return writer_(path_, text, error);
  }
  bool load(std::string* text, std::string* error) const { return read_file(path_, text, error); }

 private:
  std::string path_;
  Writer writer_;
};

}  // namespace vigil::control
