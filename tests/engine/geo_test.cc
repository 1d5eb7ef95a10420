// Unit tests of the geohash arithmetic (engine/types/geohash.h) and of the geo family through
// Engine::Dispatch: encode/decode round trips at the limits, distances, the nine-cell search
// against a brute-force scan of random points, Redis's documented example replies, and memory
// bookkeeping. Reply texts are covered differentially against redis-server
// (tests/integration/test_differential_geo.py). Single-threaded.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/numbers.h"
#include "engine/types/geohash.h"
#include "engine/types/zset.h"
#include "tests/engine/engine_fixture.h"

namespace aegisr {
namespace {

// Half a cell of the 26-bit grid, per axis, in degrees.
constexpr double kHalfLonCell = 360.0 / (1 << 26) / 2;
constexpr double kHalfLatCell = (geo::kLatMax - geo::kLatMin) / (1 << 26) / 2;

TEST(GeohashTest, DecodingGivesTheCellCentreWithinHalfACellAtTheLimits) {
  const double lons[] = {-180, -179.9999999, -0.0000001, 0, 13.361389, 179.9999999, 180};
  const double lats[] = {geo::kLatMin, -85, -0.0000001, 0, 38.115556, 85, geo::kLatMax};
  for (double lon : lons) {
    for (double lat : lats) {
      double x, y;
      geo::DecodeScore(double(geo::ScoreOf(lon, lat)), &x, &y);
      // Longitude 180 sets bit 53 (one past the last column), and a double holding that score
      // drops its lowest bit, the latitude's: off by up to one more cell, as in Redis.
      double lat_slack = lon == 180 ? 3 * kHalfLatCell : kHalfLatCell;
      EXPECT_LE(std::fabs(x - lon), kHalfLonCell + 1e-12) << lon << "," << lat;
      EXPECT_LE(std::fabs(y - lat), lat_slack + 1e-12) << lon << "," << lat;
      EXPECT_GE(x, geo::kLonMin);
      EXPECT_LE(x, geo::kLonMax);
      EXPECT_GE(y, geo::kLatMin);
      EXPECT_LE(y, geo::kLatMax);
    }
  }
  // The lower edges are cell 0; the upper edges map one past the last cell (Redis does the
  // same) and decode, clamped, to the edge itself.
  EXPECT_EQ(geo::ScoreOf(-180, geo::kLatMin), 0u);
  double x, y;
  geo::DecodeScore(double(geo::ScoreOf(180, geo::kLatMax)), &x, &y);
  EXPECT_EQ(x, 180);
  EXPECT_EQ(y, geo::kLatMax);
  EXPECT_LT(geo::ScoreOf(179.9999999, 85.05), uint64_t(1) << 52);
}

TEST(GeohashTest, RandomPointsRoundTripAndCentresReencodeToTheirCell) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> lon(-180, 180), lat(geo::kLatMin, geo::kLatMax);
  for (int i = 0; i < 100000; ++i) {
    double x0 = lon(rng), y0 = lat(rng), x, y;
    uint64_t s = geo::ScoreOf(x0, y0);
    ASSERT_LT(s, uint64_t(1) << 52);
    geo::DecodeScore(double(s), &x, &y);
    ASSERT_LE(std::fabs(x - x0), kHalfLonCell + 1e-12);
    ASSERT_LE(std::fabs(y - y0), kHalfLatCell + 1e-12);
    ASSERT_EQ(geo::ScoreOf(x, y), s) << x0 << "," << y0;
  }
}

TEST(GeohashTest, DecodeScoreIsTheClampedCentreOfDecode) {
  std::mt19937_64 rng(17);
  for (int i = 0; i < 200000; ++i) {
    // Our scores, and any 64 bits (scores a client stored with ZADD).
    uint64_t bits = i % 2 ? rng() >> 12 : rng();
    if (i < 4) bits = i < 2 ? ~uint64_t(0) >> (i * 12) : uint64_t(i - 2);
    double lon, lat;
    geo::DecodeScore(double(bits), &lon, &lat);
    uint64_t kept = geo::ScoreBits(double(bits));  // what the double kept of the bits
    geo::Area a = geo::Decode(geo::kLonRange, geo::kLatRange, geo::Cell{kept, geo::kMaxStep});
    double x = std::clamp((a.lon.min + a.lon.max) / 2, geo::kLonMin, geo::kLonMax);
    double y = std::clamp((a.lat.min + a.lat.max) / 2, geo::kLatMin, geo::kLatMax);
    ASSERT_EQ(lon, x) << bits;
    ASSERT_EQ(lat, y) << bits;
  }
}

TEST(GeohashTest, ScoresConvertAsTheX86CastDoes) {
  EXPECT_EQ(geo::ScoreBits(0), 0u);
  EXPECT_EQ(geo::ScoreBits(3479099956230698.0), 3479099956230698u);
  EXPECT_EQ(geo::ScoreBits(2.9), 2u);
  EXPECT_EQ(geo::ScoreBits(-1.5), ~uint64_t(0));  // truncated to -1, then two's complement
  EXPECT_EQ(geo::ScoreBits(9223372036854775808.0), uint64_t(1) << 63);
  EXPECT_EQ(geo::ScoreBits(1e19), 10000000000000000000u);
  EXPECT_EQ(geo::ScoreBits(1e20), 0u);
  EXPECT_EQ(geo::ScoreBits(INFINITY), 0u);
  EXPECT_EQ(geo::ScoreBits(-1e20), uint64_t(1) << 63);
  EXPECT_EQ(geo::ScoreBits(-INFINITY), uint64_t(1) << 63);
  EXPECT_EQ(geo::ScoreAsInt(-2.5), -2);
  EXPECT_EQ(geo::ScoreAsInt(1e19), INT64_MIN);
  EXPECT_EQ(geo::ScoreAsInt(-INFINITY), INT64_MIN);
}

TEST(GeohashTest, DistancesAreHaversineOnRedisEarth) {
  const double r = geo::kEarthRadiusM;
  EXPECT_EQ(geo::Distance(13.5, 38.1, 13.5, 38.1), 0);
  // Along a meridian: the arc of the latitude difference.
  EXPECT_NEAR(geo::Distance(10, 0, 10, 1), r * M_PI / 180, 1e-6);
  EXPECT_NEAR(geo::Distance(0, 0, 1, 0), r * M_PI / 180, 1e-6);
  EXPECT_NEAR(geo::Distance(0, 0, 180, 0), r * M_PI, 1e-3);
  EXPECT_NEAR(geo::Distance(-179.5, 10, 179.5, 10), geo::Distance(0, 10, 1, 10), 1e-6);
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> lon(-180, 180), lat(-85, 85);
  for (int i = 0; i < 1000; ++i) {
    double a = lon(rng), b = lat(rng), c = lon(rng), d = lat(rng);
    double dist = geo::Distance(a, b, c, d);
    EXPECT_EQ(dist, geo::Distance(c, d, a, b));
    EXPECT_GE(dist, 0);
    EXPECT_LE(dist, r * M_PI + 1e-6);
  }
}

TEST(GeohashTest, StepEstimateFollowsTheRadiusAndWidensNearThePoles) {
  EXPECT_EQ(geo::EstimateSteps(0, 0), 26);
  EXPECT_EQ(geo::EstimateSteps(1, 0), 24);
  EXPECT_EQ(geo::EstimateSteps(1000, 0), 14);
  EXPECT_EQ(geo::EstimateSteps(1000, 70), 13);
  EXPECT_EQ(geo::EstimateSteps(1000, -81), 12);
  EXPECT_EQ(geo::EstimateSteps(1e9, 0), 1);
  EXPECT_EQ(geo::EstimateSteps(INFINITY, 0), 1);
}

// The nine cells, each a score range, against a scan of every point: the same points must be
// found (within the latitudes where the cell ring covers the bounding box).
TEST(GeohashTest, NineCellSearchFindsWhatABruteForceScanFinds) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<uint64_t> scores;
  for (int i = 0; i < 20000; ++i) {
    double lon = -180 + 360 * unit(rng), lat = -70 + 140 * unit(rng);
    if (i % 4 == 0) lon = 179 + 2 * unit(rng) - (unit(rng) < 0.5 ? 0 : 360);  // antimeridian
    if (lon > 180) lon -= 360;
    if (lon < -180) lon += 360;
    scores.push_back(geo::ScoreOf(lon, lat));
  }
  std::sort(scores.begin(), scores.end());
  size_t searched = 0, found_total = 0;
  for (int q = 0; q < 400; ++q) {
    geo::Shape shape;
    shape.lon = q % 3 == 0 ? (unit(rng) < 0.5 ? 179.9 : -179.9) : -180 + 360 * unit(rng);
    shape.lat = -60 + 120 * unit(rng);
    shape.box = q % 2 == 1;
    double size_km = std::pow(10, 4 * unit(rng));  // 1 m .. 10,000 km
    shape.to_meters = 1000;
    shape.radius = size_km;
    shape.width = size_km * (0.5 + unit(rng));
    shape.height = size_km * (0.5 + unit(rng));
    // Larger shapes stay away from the poles, where the ring of cells around the centre can fall
    // short of the bounding box (Redis's estimate, which this search mirrors).
    if (size_km > 500) shape.lat = -45 + 90 * unit(rng);
    std::multiset<uint64_t> expect, got;
    for (uint64_t s : scores) {
      double x, y, d;
      if (geo::WithinShape(shape, double(s), &x, &y, &d)) expect.insert(s);
    }
    geo::SearchCells cells = geo::CellsFor(shape);
    std::set<std::pair<uint64_t, uint8_t>> seen;  // a cell listed twice is one range
    for (const geo::Cell& c : cells.cells) {
      if (c.none() || !seen.insert({c.bits, c.step}).second) continue;
      double min, max;
      geo::ScoreRangeOf(c, &min, &max);
      auto it = std::lower_bound(scores.begin(), scores.end(), uint64_t(min));
      for (; it != scores.end() && double(*it) < max; ++it) {
        double x, y, d;
        if (geo::WithinShape(shape, double(*it), &x, &y, &d)) got.insert(*it);
      }
    }
    EXPECT_EQ(got, expect) << "query " << q << " at " << shape.lon << "," << shape.lat
                           << (shape.box ? " box " : " radius ") << size_km << " km";
    ++searched;
    found_total += got.size();
  }
  EXPECT_EQ(searched, 400u);
  EXPECT_GT(found_total, 1000u);  // the queries found something
}

TEST(GeohashTest, ShapeFilterAgreesWithWithinShapeToTheBit) {
  std::mt19937_64 rng(13);
  std::uniform_real_distribution<double> unit(0, 1);
  size_t inside = 0;
  for (int q = 0; q < 200; ++q) {
    geo::Shape shape;
    shape.lon = -180 + 360 * unit(rng);
    shape.lat = -85 + 170 * unit(rng);
    shape.box = q % 4 == 3;
    shape.to_meters = q % 3 == 0 ? 1609.34 : 1000;
    shape.radius = q % 10 == 0 ? 0 : std::pow(10, 4 * unit(rng));
    shape.width = shape.height = shape.radius;
    geo::ShapeFilter filter(shape);
    for (int i = 0; i < 2000; ++i) {
      // Points near the centre (some exactly on it, some on its meridian) and anywhere.
      double lon = i % 3 == 0 ? -180 + 360 * unit(rng) : shape.lon + (unit(rng) - 0.5) * 0.5;
      double lat = i % 3 == 0 ? -85 + 170 * unit(rng) : shape.lat + (unit(rng) - 0.5) * 0.5;
      if (i % 7 == 0) lon = shape.lon;
      if (i % 11 == 0) lat = shape.lat;
      lon = std::clamp(lon, -180.0, 180.0);
      lat = std::clamp(lat, geo::kLatMin, geo::kLatMax);
      double score = double(geo::ScoreOf(lon, lat));
      double x1, y1, d1 = -1, x2, y2, d2 = -1;
      bool a = geo::WithinShape(shape, score, &x1, &y1, &d1);
      bool b = filter(score, &x2, &y2, &d2);
      ASSERT_EQ(a, b) << q << " " << i;
      if (a) {
        ASSERT_EQ(d1, d2);
        ASSERT_EQ(x1, x2);
        ASSERT_EQ(y1, y2);
        ++inside;
      }
    }
  }
  EXPECT_GT(inside, 10000u);
}

TEST(GeohashTest, GeohashStringsAreStandardBase32) {
  // Redis's documented examples.
  EXPECT_EQ(geo::HashString(double(geo::ScoreOf(13.361389, 38.115556))), "sqc8b49rny0");
  EXPECT_EQ(geo::HashString(double(geo::ScoreOf(15.087269, 37.502669))), "sqdtr74hyu0");
  EXPECT_EQ(geo::HashString(double(geo::ScoreOf(-180, geo::kLatMin))).size(), 11u);
}

class GeoFamilyTest : public EngineFixture {
 protected:
  void TearDown() override { ZSet::SetLimits(128, 64); }
  static std::string Bulk(std::string_view s) {
    return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
  }
};

// The examples of Redis's documentation of GEOADD, GEODIST, GEOPOS, GEOHASH and GEORADIUS.
TEST_F(GeoFamilyTest, RedisDocumentedExamples) {
  EXPECT_EQ(Run({"GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669",
                 "Catania"}),
            ":2\r\n");
  EXPECT_EQ(Run({"GEODIST", "Sicily", "Palermo", "Catania"}), Bulk("166274.1516"));
  EXPECT_EQ(Run({"GEODIST", "Sicily", "Palermo", "Catania", "km"}), Bulk("166.2742"));
  EXPECT_EQ(Run({"GEODIST", "Sicily", "Palermo", "Catania", "mi"}), Bulk("103.3182"));
  EXPECT_EQ(Run({"GEODIST", "Sicily", "Foo", "Bar"}), "$-1\r\n");
  EXPECT_EQ(Run({"GEOHASH", "Sicily", "Palermo", "Catania"}),
            "*2\r\n" + Bulk("sqc8b49rny0") + Bulk("sqdtr74hyu0"));
  EXPECT_EQ(Run({"GEOPOS", "Sicily", "Palermo", "Catania", "NonExisting"}),
            "*3\r\n*2\r\n" + Bulk("13.36138933897018433") + Bulk("38.11555639549629859") +
                "*2\r\n" + Bulk("15.08726745843887329") + Bulk("37.50266842333162032") + "*-1\r\n");
  EXPECT_EQ(Run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST"}),
            "*2\r\n*2\r\n" + Bulk("Palermo") + Bulk("190.4424") + "*2\r\n" + Bulk("Catania") +
                Bulk("56.4413"));
  EXPECT_EQ(Run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "ASC"}),
            "*2\r\n*2\r\n" + Bulk("Catania") + Bulk("56.4413") + "*2\r\n" + Bulk("Palermo") +
                Bulk("190.4424"));
  EXPECT_EQ(Run({"ZSCORE", "Sicily", "Palermo"}), Bulk("3479099956230698"));
  EXPECT_EQ(Run({"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km",
                 "ASC", "WITHHASH"}),
            "*2\r\n*2\r\n" + Bulk("Catania") + ":3479447370796909\r\n*2\r\n" + Bulk("Palermo") +
                ":3479099956230698\r\n");
  // RESP3: coordinates are doubles.
  EXPECT_EQ(Run({"GEOPOS", "Sicily", "Palermo", "x"}, 3),
            "*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n");
}

TEST_F(GeoFamilyTest, ErrorsLoseNothing) {
  EXPECT_EQ(Run({"GEOADD", "g", "1", "2", "a"}), ":1\r\n");
  EXPECT_EQ(Run({"GEOADD", "g", "181", "0", "b"}),
            "-ERR invalid longitude,latitude pair 181.000000,0.000000\r\n");
  EXPECT_EQ(Run({"GEOADD", "g", "0", "85.06", "b"}),
            "-ERR invalid longitude,latitude pair 0.000000,85.060000\r\n");
  EXPECT_EQ(Run({"GEOADD", "g", "1", "1", "c", "x", "0", "b"}),
            "-ERR value is not a valid float\r\n");
  EXPECT_EQ(Run({"GEOADD", "g", "NX", "XX", "1", "1", "c"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"GEOADD", "g", "1", "1"}),
            "-ERR wrong number of arguments for 'geoadd' command\r\n");
  EXPECT_EQ(Run({"ZCARD", "g"}), ":1\r\n");  // nothing of the refused commands was added
  EXPECT_EQ(Run({"GEODIST", "g", "a", "a", "parsecs"}),
            "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n");
  EXPECT_EQ(Run({"GEOSEARCH", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "-1", "m"}),
            "-ERR radius cannot be negative\r\n");
  EXPECT_EQ(Run({"GEOSEARCH", "g", "BYRADIUS", "1", "m", "ASC", "WITHDIST"}),
            "-ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH\r\n");
  EXPECT_EQ(Run({"GEORADIUS", "g", "0", "0", "1", "km", "STORE", "d", "WITHDIST"}),
            "-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and "
            "WITHCOORD options\r\n");
  EXPECT_EQ(Run({"GEORADIUS_RO", "g", "0", "0", "1", "km", "STORE", "d"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"SET", "s", "x"}), "+OK\r\n");
  EXPECT_EQ(Run({"GEOPOS", "s", "a"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  // The source's type is checked before anything else.
  EXPECT_EQ(Run({"GEORADIUS", "s", "999", "0", "1", "km"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  EXPECT_EQ(Run({"GET", "s"}), Bulk("x"));
}

TEST_F(GeoFamilyTest, MemoryAccountingFollowsEveryChange) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> lon(12, 16), lat(36, 40);
  std::vector<std::string> owned;
  for (int i = 0; i < 600; ++i) {
    owned.push_back(std::to_string(lon(rng)));
    owned.push_back(std::to_string(lat(rng)));
    owned.push_back("place-" + std::to_string(i));
  }
  std::vector<std::string_view> add = {"GEOADD", "g"};
  for (size_t i = 0; i < 3 * 100; ++i) add.push_back(owned[i]);
  EXPECT_EQ(Run(add), ":100\r\n");  // a listpack
  ExpectBookkeepingExact();
  add.resize(2);
  for (const auto& s : owned) add.push_back(s);
  EXPECT_EQ(Run(add), ":500\r\n");  // converted to a skiplist
  ExpectBookkeepingExact();
  add = {"GEOADD", "g", "XX", "CH", "13", "37", "place-1", "13", "37", "place-new"};
  EXPECT_EQ(Run(add), ":1\r\n");
  ExpectBookkeepingExact();
  EXPECT_EQ(Run({"GEOSEARCHSTORE", "near", "g", "FROMMEMBER", "place-1", "BYRADIUS", "100", "km",
                 "STOREDIST"})
                .substr(0, 1),
            ":");
  ExpectBookkeepingExact();
  EXPECT_EQ(Run({"GEORADIUS", "g", "14", "38", "5000", "km", "STORE", "all"}), ":600\r\n");
  EXPECT_EQ(Run({"ZCARD", "all"}), ":600\r\n");
  ExpectBookkeepingExact();
  // An empty result deletes the destination.
  EXPECT_EQ(Run({"GEORADIUS", "g", "-100", "0", "1", "km", "STORE", "all"}), ":0\r\n");
  EXPECT_EQ(Run({"EXISTS", "all"}), ":0\r\n");
  EXPECT_EQ(Run({"GEOSEARCHSTORE", "near", "nokey", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "m"}),
            ":0\r\n");
  EXPECT_EQ(Run({"EXISTS", "near"}), ":0\r\n");
  ExpectBookkeepingExact();
}

TEST_F(GeoFamilyTest, SearchAgreesWithABruteForceScanThroughTheEngine) {
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> lon(-10, 10), lat(-10, 10);
  std::vector<std::pair<double, double>> pts;
  std::vector<std::string> owned;
  for (int i = 0; i < 1000; ++i) {
    pts.push_back({lon(rng), lat(rng)});
    owned.push_back(std::to_string(pts.back().first));
    owned.push_back(std::to_string(pts.back().second));
    owned.push_back("p" + std::to_string(i));
  }
  std::vector<std::string_view> add = {"GEOADD", "g"};
  for (const auto& s : owned) add.push_back(s);
  ASSERT_EQ(Run(add), ":1000\r\n");
  for (int q = 0; q < 50; ++q) {
    double cx = lon(rng), cy = lat(rng), km = 10 + 490 * std::uniform_real_distribution<>()(rng);
    std::string x = std::to_string(cx), y = std::to_string(cy), r = std::to_string(km);
    std::string reply = Run({"GEOSEARCH", "g", "FROMLONLAT", x, y, "BYRADIUS", r, "km", "ASC"});
    // Brute force over the stored (cell-centre) positions.
    double px, py;
    ASSERT_TRUE(String2d(x, &px) && String2d(y, &py));
    double radius;
    ASSERT_TRUE(String2d(r, &radius));
    std::vector<std::pair<double, std::string>> expect;
    for (size_t i = 0; i < pts.size(); ++i) {
      double sx, sy, plon, plat;
      ASSERT_TRUE(String2d(owned[3 * i], &plon) && String2d(owned[3 * i + 1], &plat));
      geo::DecodeScore(double(geo::ScoreOf(plon, plat)), &sx, &sy);
      double d = geo::Distance(px, py, sx, sy);
      if (d <= radius * 1000) expect.push_back({d, "p" + std::to_string(i)});
    }
    std::stable_sort(expect.begin(), expect.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string want = "*" + std::to_string(expect.size()) + "\r\n";
    for (const auto& [d, m] : expect) want += Bulk(m);
    EXPECT_EQ(reply, want) << "query " << q;
  }
}

}  // namespace
}  // namespace aegisr
