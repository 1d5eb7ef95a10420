#pragma once
// Geohash arithmetic of the geo commands (engine/geo_family.cc), with Redis 7.0's exact floating
// point steps (geohash.c, geohash_helper.c), so that scores, positions, distances and the cells a
// search visits are bit-identical with Redis's. Pure functions, thread-safe.
//
// A position is stored as a sorted-set score: 26 bits of longitude and 26 bits of latitude,
// interleaved (latitude in the even bits, longitude in the odd ones) into a 52-bit integer, which
// a double holds exactly. Latitude is limited to +-85.05112878 (the Web Mercator square), so the
// 26 latitude bits divide that range, not -90..90.

#include <cstdint>
#include <string>

namespace aegisr::geo {

inline constexpr double kLonMin = -180;
inline constexpr double kLonMax = 180;
inline constexpr double kLatMin = -85.05112878;
inline constexpr double kLatMax = 85.05112878;
inline constexpr int kMaxStep = 26;  // bits per axis in a score
// Redis's earth radius (the quadratic mean radius of WGS-84), in meters.
inline constexpr double kEarthRadiusM = 6372797.560856;

struct Range {
  double min, max;
};
inline constexpr Range kLonRange{kLonMin, kLonMax};
inline constexpr Range kLatRange{kLatMin, kLatMax};

// A cell: `step` bits per axis, interleaved into bits. {0, 0} is "no cell" (a neighbour dropped).
struct Cell {
  uint64_t bits = 0;
  uint8_t step = 0;
  bool none() const { return bits == 0 && step == 0; }
  bool operator==(const Cell&) const = default;
};

struct Area {
  Range lon, lat;
};

// The cell of step `step` (1..32) holding (lon, lat) within the given ranges. False (and *cell
// untouched) if the point is outside the score limits above or the ranges.
bool Encode(Range lon_range, Range lat_range, double lon, double lat, int step, Cell* cell);
// The bounds of a cell within the given ranges.
Area Decode(Range lon_range, Range lat_range, Cell cell);

// The 52-bit score of a valid position (within the limits above).
uint64_t ScoreOf(double lon, double lat);
// A score as C's (uint64_t) cast of a double does on x86-64 (gcc's code: truncation; below
// -2^63 or NaN 2^63; at 2^64 and above 0), so that any score, not only ours, decodes as
// Redis decodes it. Defined for every double (no undefined conversion).
uint64_t ScoreBits(double score);
// A score as C's (long long) cast does on x86-64: truncation, INT64_MIN when out of range.
int64_t ScoreAsInt(double score);
// The centre of a score's cell, clamped to the limits: what GEOPOS reports.
void DecodeScore(double score, double* lon, double* lat);

// Great-circle distance in meters (haversine), and the distance along a meridian.
double Distance(double lon1, double lat1, double lon2, double lat2);
double LatDistance(double lat1, double lat2);

// GEOHASH's text: the standard 11-character base32 geohash of a score's position (re-encoded on
// -180..180 / -90..90; the 11th character is always '0', as 52 bits fill only ten).
std::string HashString(double score);

// A search area: a circle of `radius` or a width x height box (in `unit`s, `to_meters` each)
// around (lon, lat).
struct Shape {
  bool box = false;
  double lon = 0, lat = 0;
  double to_meters = 1;
  double radius = 0;
  double width = 0, height = 0;
};

// Whether a score's position lies in the shape; *lon, *lat get the position and *dist its
// distance in meters from the centre.
bool WithinShape(const Shape& shape, double score, double* lon, double* lat, double* dist);

// WithinShape for many points of one shape, with the same results to the bit: the centre's
// trigonometry is computed once, and a circle first drops points whose latitude alone puts them
// out of reach (with a margin far above rounding error, so no point near the edge is dropped).
// Borrows shape, which must outlive it.
class ShapeFilter {
 public:
  explicit ShapeFilter(const Shape& shape);
  bool operator()(double score, double* lon, double* lat, double* dist) const;

 private:
  const Shape& shape_;
  double lon_rad_, lat_rad_, cos_lat_;  // the centre's
  double limit_m_;                      // a circle's radius in meters
  double reject_beyond_m_;              // a meridian distance past which nothing is in reach
};

// The cell size for a search of radius range_m around latitude lat (Redis's estimate).
int EstimateSteps(double range_m, double lat);

// The nine cells that cover a shape, in Redis's order: centre, N, S, E, W, NE, NW, SE, SW;
// neighbours that the shape cannot reach are none().
struct SearchCells {
  Cell cells[9];
};
SearchCells CellsFor(const Shape& shape);

// The score range [*min, *max) of every point inside a cell.
void ScoreRangeOf(Cell cell, double* min, double* max);

}  // namespace aegisr::geo
