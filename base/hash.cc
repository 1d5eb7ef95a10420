// xxh3 and CRC16 (polynomial 0x1021, initial 0, no reflection: the XMODEM variant named in the
// Redis Cluster specification). The tables are computed at startup, not copied.
//
// CRC16 runs "slicing by 8": T[k][b] is the CRC of byte b followed by k zero bytes. The CRC is
// linear, and for this MSB-first variant a register value R before a block acts as if R were
// XORed into the block's first two bytes, so eight bytes fold into eight independent lookups:
//   crc' = T[7][b0 ^ R>>8] ^ T[6][b1 ^ R&0xff] ^ T[5][b2] ^ ... ^ T[0][b7]
// instead of a chain of eight dependent ones. The tail runs a byte at a time with T[0].
#include "base/hash.h"

#include <xxhash.h>

#include <array>

namespace aegisr {
namespace {
using CrcTables = std::array<std::array<uint16_t, 256>, 8>;

uint16_t CrcByte(uint16_t crc, uint8_t c) {
  crc ^= uint16_t(c << 8);
  for (int b = 0; b < 8; ++b)
    crc = (crc & 0x8000) ? uint16_t((crc << 1) ^ 0x1021) : uint16_t(crc << 1);
  return crc;
}

CrcTables MakeCrcTables() {
  CrcTables t{};
  for (unsigned i = 0; i < 256; ++i) {
    uint16_t crc = CrcByte(0, uint8_t(i));
    t[0][i] = crc;
    for (int k = 1; k < 8; ++k) {
      crc = CrcByte(crc, 0);
      t[k][i] = crc;
    }
  }
  return t;
}
const CrcTables kCrc = MakeCrcTables();
}  // namespace

uint64_t HashBytes(std::string_view s) { return XXH3_64bits(s.data(), s.size()); }

uint16_t Crc16Bytewise(std::string_view s) {
  uint16_t crc = 0;
  for (unsigned char c : s) crc = uint16_t((crc << 8) ^ kCrc[0][((crc >> 8) ^ c) & 0xff]);
  return crc;
}

uint16_t Crc16(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  uint16_t crc = 0;
  while (n >= 8) {
    crc = kCrc[7][p[0] ^ (crc >> 8)] ^ kCrc[6][p[1] ^ (crc & 0xff)] ^ kCrc[5][p[2]] ^
          kCrc[4][p[3]] ^ kCrc[3][p[4]] ^ kCrc[2][p[5]] ^ kCrc[1][p[6]] ^ kCrc[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n--) crc = uint16_t((crc << 8) ^ kCrc[0][((crc >> 8) ^ *p++) & 0xff]);
  return crc;
}

unsigned KeyHashSlot(std::string_view key) {
  size_t open = key.find('{');
  if (open != std::string_view::npos) {
    size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close != open + 1)
      key = key.substr(open + 1, close - open - 1);
  }
  return Crc16(key) & (kClusterSlots - 1);
}

}  // namespace aegisr
