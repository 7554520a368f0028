#include "stepd/base/aws_names.h"

#include <cstddef>

namespace stepd {

bool IsValidAwsName(std::string_view name) {
  size_t characters = 0;
  for (unsigned char c : name) characters += (c & 0xC0) != 0x80;
  if (characters == 0 || characters > 80) return false;
  static constexpr std::string_view kForbidden = " <>{}[]?*\"#%\\^|~`$&,;:/";
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f || kForbidden.find(static_cast<char>(c)) != std::string_view::npos) {
      return false;
    }
  }
  // Other white space and control characters: U+0080..U+009F, U+00A0, U+2000.., U+3000.
  for (size_t i = 0; i + 1 < name.size(); ++i) {
    unsigned char a = name[i], b = name[i + 1];
    if (a == 0xC2 && (b <= 0x9F || b == 0xA0)) return false;
    if (a == 0xE2 && b == 0x80 && i + 2 < name.size()) {
      unsigned char c = name[i + 2];
      if (c <= 0x8A || c == 0xA8 || c == 0xA9 || c == 0xAF) return false;
    }
    if (a == 0xE3 && b == 0x80 && i + 2 < name.size() &&
        static_cast<unsigned char>(name[i + 2]) == 0x80) {
      return false;
    }
  }
  return true;
}

}  // namespace stepd
