// YAML or JSON input of vigilctl (--file, --rule, raw's arguments) turned into the JSON the
// request carries: JSON text is taken as is, anything else goes through yaml-cpp, with plain
// YAML scalars typed as YAML 1.2's core schema does (null, booleans, numbers, else strings).
#pragma once

#include <istream>
#include <string>

#include "control/control_types.h"

namespace vigil::control::cli {

// Parses `text`; false with *error ("<origin>: line L, column C: <problem>") when it is neither
// JSON nor YAML. An empty document is null.
bool parse_document(const std::string& text, const std::string& origin, Json* out,
                    std::string* error);

// Reads `path` (at most 64 MiB; "-" is stdin) and parses it; false with *error when it cannot be
// read or parsed.
bool read_document_file(const std::string& path, Json* out, std::string* error);
// The same from an open stream; `path` names it in errors.
bool read_document_stream(std::istream& in, const std::string& path, Json* out, std::string* error);

}  // namespace vigil::control::cli
