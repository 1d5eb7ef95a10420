// Geohash arithmetic (see geohash.h). Every expression below keeps the operand order and the
// intermediate types of Redis 7.0's geohash.c / geohash_helper.c: a reordered product or a
// division done in another type changes the last bit of a double, and then a distance printed
// with four decimals, or a coordinate printed with seventeen, differs from Redis's.
//
// The search (CellsFor): a circle or box is covered by one cell of a size picked from the
// radius (EstimateSteps: the largest cell, i.e. fewest bits, whose neighbours still contain the
// radius in most places; poles need larger cells since meridians converge) plus its eight
// neighbours. If the shape's bounding box still pokes out of the ring of neighbours, the cells
// are made one size larger; neighbours on a side the bounding box does not reach are dropped.
// Each cell is a contiguous score range of the sorted set (ScoreRangeOf), and every candidate is
// then checked against the true distance (WithinShape).

#include "engine/types/geohash.h"

#include <cmath>

namespace aegisr::geo {
namespace {

constexpr double kDegToRad = M_PI / 180.0;
constexpr double kMercatorMax = 20037726.37;
constexpr double kTwo63 = 9223372036854775808.0;

double DegRad(double deg) { return deg * kDegToRad; }
double RadDeg(double rad) { return rad / kDegToRad; }

// Spreads the 32 bits of v over the even bits of a 64-bit word.
uint64_t Spread(uint32_t v) {
  uint64_t x = v;
  x = (x | (x << 16)) & 0x0000FFFF0000FFFFULL;
  x = (x | (x << 8)) & 0x00FF00FF00FF00FFULL;
  x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FULL;
  x = (x | (x << 2)) & 0x3333333333333333ULL;
  x = (x | (x << 1)) & 0x5555555555555555ULL;
  return x;
}

// Gathers the even bits of x into 32 bits (the inverse of Spread).
uint32_t Gather(uint64_t x) {
  x &= 0x5555555555555555ULL;
  x = (x | (x >> 1)) & 0x3333333333333333ULL;
  x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FULL;
  x = (x | (x >> 4)) & 0x00FF00FF00FF00FFULL;
  x = (x | (x >> 8)) & 0x0000FFFF0000FFFFULL;
  x = (x | (x >> 16)) & 0x00000000FFFFFFFFULL;
  return uint32_t(x);
}

constexpr uint64_t kLatLane = 0x5555555555555555ULL;  // even bits
constexpr uint64_t kLonLane = 0xAAAAAAAAAAAAAAAAULL;  // odd bits

// The cell dx columns east and dy rows north of c, wrapping around at the edges of the grid. An
// axis that does not move keeps its bits as they are.
Cell Move(Cell c, int dx, int dy) {
  uint32_t mask = uint32_t((uint64_t(1) << c.step) - 1);
  uint64_t lon = c.bits & kLonLane, lat = c.bits & kLatLane;
  if (dx != 0) lon = Spread((Gather(c.bits >> 1) + uint32_t(dx)) & mask) << 1;
  if (dy != 0) lat = Spread((Gather(c.bits) + uint32_t(dy)) & mask);
  return Cell{lon | lat, c.step};
}

// A meridian's length between two latitudes, as geohashGetLatDistance.
double MeridianDistance(double lat1, double lat2) {
  return kEarthRadiusM * std::fabs(DegRad(lat2) - DegRad(lat1));
}

}  // namespace

bool Encode(Range lon_range, Range lat_range, double lon, double lat, int step, Cell* cell) {
  if (step < 1 || step > 32) return false;
  if (lon > kLonMax || lon < kLonMin || lat > kLatMax || lat < kLatMin) return false;
  if (lat < lat_range.min || lat > lat_range.max || lon < lon_range.min || lon > lon_range.max)
    return false;
  double lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min);
  double lon_offset = (lon - lon_range.min) / (lon_range.max - lon_range.min);
  lat_offset *= double(uint64_t(1) << step);
  lon_offset *= double(uint64_t(1) << step);
  // The offsets lie in [0, 2^step]; the top edge itself maps to 2^step, one past the last cell,
  // as in Redis (decoding clamps it back).
  cell->bits = Spread(uint32_t(lat_offset)) | (Spread(uint32_t(lon_offset)) << 1);
  cell->step = uint8_t(step);
  return true;
}

Area Decode(Range lon_range, Range lat_range, Cell cell) {
  uint32_t ilat = Gather(cell.bits);
  uint32_t ilon = Gather(cell.bits >> 1);
  double lat_scale = lat_range.max - lat_range.min;
  double lon_scale = lon_range.max - lon_range.min;
  double cells = double(uint64_t(1) << cell.step);
  // ilat + 1 is 32-bit arithmetic, as in Redis (it wraps for a score that is not ours).
  Area a;
  a.lat.min = lat_range.min + (double(ilat) * 1.0 / cells) * lat_scale;
  a.lat.max = lat_range.min + (double(uint32_t(ilat + 1)) * 1.0 / cells) * lat_scale;
  a.lon.min = lon_range.min + (double(ilon) * 1.0 / cells) * lon_scale;
  a.lon.max = lon_range.min + (double(uint32_t(ilon + 1)) * 1.0 / cells) * lon_scale;
  return a;
}

uint64_t ScoreOf(double lon, double lat) {
  Cell c{};
  Encode(kLonRange, kLatRange, lon, lat, kMaxStep, &c);
  return c.bits;  // step 26: already 52 bits wide
}

uint64_t ScoreBits(double score) {
  if (score >= kTwo63) {
    double rest = score - kTwo63;
    if (rest >= kTwo63) return 0;
    return uint64_t(int64_t(rest)) ^ (uint64_t(1) << 63);
  }
  if (score >= -kTwo63) return uint64_t(int64_t(score));
  return uint64_t(1) << 63;  // below -2^63, or NaN
}

int64_t ScoreAsInt(double score) {
  if (score >= -kTwo63 && score < kTwo63) return int64_t(score);
  return INT64_MIN;
}

namespace {

// The centre of cell i of an axis of a 26-bit score, clamped: Decode's arithmetic for one axis
// (dividing by 2^26 is multiplying by 2^-26, exactly), then the centre as DecodeScore takes it.
double AxisCentre(uint32_t i, Range r) {
  constexpr double kInvCells = 1.0 / double(uint64_t(1) << kMaxStep);
  double scale = r.max - r.min;
  double min = r.min + (double(i) * kInvCells) * scale;
  double max = r.min + (double(uint32_t(i + 1)) * kInvCells) * scale;
  double c = (min + max) / 2;
  if (c > r.max) c = r.max;
  if (c < r.min) c = r.min;
  return c;
}
double LonOf(uint64_t bits) { return AxisCentre(Gather(bits >> 1), kLonRange); }
double LatOf(uint64_t bits) { return AxisCentre(Gather(bits), kLatRange); }

}  // namespace

void DecodeScore(double score, double* lon, double* lat) {
  uint64_t bits = ScoreBits(score);
  *lon = LonOf(bits);
  *lat = LatOf(bits);
}

double LatDistance(double lat1, double lat2) { return MeridianDistance(lat1, lat2); }

double Distance(double lon1, double lat1, double lon2, double lat2) {
  double lon1r = DegRad(lon1);
  double lon2r = DegRad(lon2);
  double v = std::sin((lon2r - lon1r) / 2);
  // Same meridian: the haversine reduces to the difference of latitudes.
  if (v == 0.0) return MeridianDistance(lat1, lat2);
  double lat1r = DegRad(lat1);
  double lat2r = DegRad(lat2);
  double u = std::sin((lat2r - lat1r) / 2);
  double a = u * u + std::cos(lat1r) * std::cos(lat2r) * v * v;
  return 2.0 * kEarthRadiusM * std::asin(std::sqrt(a));
}

std::string HashString(double score) {
  static constexpr char kAlphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
  double lon, lat;
  DecodeScore(score, &lon, &lat);
  Cell c{};
  Encode(Range{-180, 180}, Range{-90, 90}, lon, lat, kMaxStep, &c);
  std::string out(11, '0');
  for (int i = 0; i < 10; ++i) out[size_t(i)] = kAlphabet[(c.bits >> (52 - (i + 1) * 5)) & 0x1f];
  return out;
}

bool WithinShape(const Shape& shape, double score, double* lon, double* lat, double* dist) {
  DecodeScore(score, lon, lat);
  if (!shape.box) {
    *dist = Distance(shape.lon, shape.lat, *lon, *lat);
    return !(*dist > shape.radius * shape.to_meters);
  }
  double width_m = shape.width * shape.to_meters;
  double height_m = shape.height * shape.to_meters;
  // The cheaper north-south test first, then east-west along the point's own parallel.
  if (MeridianDistance(*lat, shape.lat) > height_m / 2) return false;
  if (Distance(*lon, *lat, shape.lon, *lat) > width_m / 2) return false;
  *dist = Distance(shape.lon, shape.lat, *lon, *lat);
  return true;
}

ShapeFilter::ShapeFilter(const Shape& shape)
    : shape_(shape),
      lon_rad_(DegRad(shape.lon)),
      lat_rad_(DegRad(shape.lat)),
      cos_lat_(std::cos(DegRad(shape.lat))),
      limit_m_(shape.radius * shape.to_meters),
      // The great-circle distance is never below the meridian distance; the computed values
      // differ from the exact ones by parts in 1e15, so this margin keeps every point that could
      // be within the limit.
      reject_beyond_m_(limit_m_ * (1 + 1e-9) + 1e-6) {}

bool ShapeFilter::operator()(double score, double* lon, double* lat, double* dist) const {
  if (shape_.box) return WithinShape(shape_, score, lon, lat, dist);
  // Distance(shape.lon, shape.lat, *lon, *lat) with the centre's terms computed once: the same
  // operations on the same values. The longitude is decoded only for points the latitude keeps.
  uint64_t bits = ScoreBits(score);
  *lat = LatOf(bits);
  double lat2r = DegRad(*lat);
  double meridian = kEarthRadiusM * std::fabs(lat2r - lat_rad_);
  if (meridian > reject_beyond_m_) return false;
  *lon = LonOf(bits);
  double v = std::sin((DegRad(*lon) - lon_rad_) / 2);
  if (v == 0.0) {
    *dist = meridian;
  } else {
    double u = std::sin((lat2r - lat_rad_) / 2);
    double a = u * u + cos_lat_ * std::cos(lat2r) * v * v;
    *dist = 2.0 * kEarthRadiusM * std::asin(std::sqrt(a));
  }
  return !(*dist > limit_m_);
}

int EstimateSteps(double range_m, double lat) {
  if (range_m == 0) return kMaxStep;
  int step = 1;
  while (range_m < kMercatorMax) {
    range_m *= 2;
    step++;
  }
  step -= 2;  // so that the ring of neighbours covers the radius in most places
  // Meridians converge towards the poles: larger cells there.
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > kMaxStep) step = kMaxStep;
  return step;
}

SearchCells CellsFor(const Shape& shape) {
  // The bounding box. Parallels are shorter away from the equator, so the east-west half-width
  // in degrees is taken at the box's edge nearer the pole.
  double height = shape.to_meters * (shape.box ? shape.height / 2 : shape.radius);
  double width = shape.to_meters * (shape.box ? shape.width / 2 : shape.radius);
  const double lat_delta = RadDeg(height / kEarthRadiusM);
  const double lon_delta_top =
      RadDeg(width / kEarthRadiusM / std::cos(DegRad(shape.lat + lat_delta)));
  const double lon_delta_bottom =
      RadDeg(width / kEarthRadiusM / std::cos(DegRad(shape.lat - lat_delta)));
  bool southern = shape.lat < 0;
  double min_lon = southern ? shape.lon - lon_delta_bottom : shape.lon - lon_delta_top;
  double max_lon = southern ? shape.lon + lon_delta_bottom : shape.lon + lon_delta_top;
  double min_lat = shape.lat - lat_delta;
  double max_lat = shape.lat + lat_delta;

  // A box's reach is its half-diagonal.
  double radius_m = shape.box ? std::sqrt((shape.width / 2) * (shape.width / 2) +
                                          (shape.height / 2) * (shape.height / 2))
                              : shape.radius;
  radius_m *= shape.to_meters;
  int steps = EstimateSteps(radius_m, shape.lat);

  Cell centre;
  Area area{};
  Cell n[8];  // N, S, E, W, NE, NW, SE, SW
  auto place = [&](int step) {
    Encode(kLonRange, kLatRange, shape.lon, shape.lat, step, &centre);
    n[0] = Move(centre, 0, 1);
    n[1] = Move(centre, 0, -1);
    n[2] = Move(centre, 1, 0);
    n[3] = Move(centre, -1, 0);
    n[4] = Move(centre, 1, 1);
    n[5] = Move(centre, -1, 1);
    n[6] = Move(centre, 1, -1);
    n[7] = Move(centre, -1, -1);
    area = Decode(kLonRange, kLatRange, centre);
  };
  place(steps);
  // Cells one size larger if the ring does not reach the bounding box on some side.
  bool larger = Decode(kLonRange, kLatRange, n[0]).lat.max < max_lat ||
                Decode(kLonRange, kLatRange, n[1]).lat.min > min_lat ||
                Decode(kLonRange, kLatRange, n[2]).lon.max < max_lon ||
                Decode(kLonRange, kLatRange, n[3]).lon.min > min_lon;
  if (steps > 1 && larger) place(--steps);

  // Drop the neighbours on the sides the bounding box stays clear of.
  if (steps >= 2) {
    if (area.lat.min < min_lat) n[1] = n[7] = n[6] = Cell{};
    if (area.lat.max > max_lat) n[0] = n[4] = n[5] = Cell{};
    if (area.lon.min < min_lon) n[3] = n[7] = n[5] = Cell{};
    if (area.lon.max > max_lon) n[2] = n[6] = n[4] = Cell{};
  }
  return SearchCells{{centre, n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7]}};
}

void ScoreRangeOf(Cell cell, double* min, double* max) {
  unsigned shift = 52 - 2 * unsigned(cell.step);
  *min = double(cell.bits << shift);
  *max = double((cell.bits + 1) << shift);
}

}  // namespace aegisr::geo
