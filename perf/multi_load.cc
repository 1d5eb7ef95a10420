// multi_load: MULTI / SET / INCR / EXEC transactions against any RESP server (Aegisr or Redis),
// for perf/multi_compare.sh. C client threads each send P transactions per write ("MULTI",
// "SET mk:<r> <value>", "INCR mc:<r>", "EXEC", r random below --keyspace, so a transaction's
// two keys usually live in different shards), read the 4*P replies, and go on until the run's
// transactions are done. Reports transactions per second (wall time from the first write to the
// last reply), and checks at the end that the counters add up to the number of transactions.
//
// Standalone (POSIX sockets and the headers beside it, resp_client.h and load_harness.h; no project
// libraries), so that the client is the same program for both servers:
//   g++ -O2 -std=c++20 -pthread perf/multi_load.cc -o build/multi_load
//   build/multi_load --port 6379 --transactions 200000 --clients 4 --pipeline 8
// Threading: one blocking connection per client thread; the main thread checks.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "load_harness.h"
#include "resp_client.h"

namespace {

using resp::AppendCommand;
using resp::Conn;
using resp::Expect;
using resp::Reply;

struct Options {
  int port = 6379;
  uint64_t transactions = 200000;  // per run, all clients together
  int clients = 4;
  int pipeline = 8;  // transactions per write
  int keyspace = 10000;
  int value_bytes = 16;
};

uint64_t Run(const Options& o, int index, uint64_t count, const load::StartGate& go) {
  Conn c(o.port);
  std::string value(static_cast<size_t>(o.value_bytes), 'v');
  uint64_t rng = 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(index + 1);
  std::string out;
  go.Wait();
  uint64_t done = 0;
  while (done < count) {
    uint64_t batch = std::min<uint64_t>(static_cast<uint64_t>(o.pipeline), count - done);
    out.clear();
    for (uint64_t i = 0; i < batch; ++i) {
      rng ^= rng << 13;
      rng ^= rng >> 7;
      rng ^= rng << 17;
      std::string a = "mk:" + std::to_string(rng % static_cast<uint64_t>(o.keyspace));
      std::string b = "mc:" + std::to_string((rng >> 20) % static_cast<uint64_t>(o.keyspace));
      AppendCommand(&out, {"MULTI"});
      AppendCommand(&out, {"SET", a, value});
      AppendCommand(&out, {"INCR", b});
      AppendCommand(&out, {"EXEC"});
    }
    c.Send(out);
    for (uint64_t i = 0; i < batch; ++i) {
      Reply r = c.Read();
      Expect(r.type == '+', "MULTI", r);
      r = c.Read();
      Expect(r.type == '+', "SET (queued)", r);
      r = c.Read();
      Expect(r.type == '+', "INCR (queued)", r);
      r = c.Read();
      Expect(r.type == '*' && r.items.size() == 2 && r.items[1].type == ':', "EXEC", r);
    }
    done += batch;
  }
  return done;
}

// The sum of the counters: every EXEC's INCR must be there.
uint64_t CounterSum(const Options& o) {
  Conn c(o.port);
  uint64_t sum = 0;
  const int kBatch = 1000;
  for (int i = 0; i < o.keyspace; i += kBatch) {
    std::vector<std::string> keys;
    for (int j = i; j < std::min(o.keyspace, i + kBatch); ++j)
      keys.push_back("mc:" + std::to_string(j));
    std::vector<std::string_view> args = {"MGET"};
    for (const auto& k : keys) args.push_back(k);
    std::string cmd;
    AppendCommand(&cmd, args);
    c.Send(cmd);
    Reply r = c.Read();
    Expect(r.type == '*', "MGET", r);
    for (const auto& v : r.items)
      if (!v.null) sum += std::strtoull(v.text.c_str(), nullptr, 10);
  }
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  load::ParseFlags(argc, argv,
                   {{"--port", &o.port},
                    {"--transactions", &o.transactions},
                    {"--clients", &o.clients},
                    {"--pipeline", &o.pipeline},
                    {"--keyspace", &o.keyspace},
                    {"--value-bytes", &o.value_bytes}});
  uint64_t before = CounterSum(o);
  uint64_t per = o.transactions / static_cast<uint64_t>(o.clients);
  load::ClientsRun run = load::RunClients(
      o.clients, [&](int i, const load::StartGate& go) { return Run(o, i, per, go); });
  uint64_t total = run.total;
  double secs = run.seconds;
  uint64_t after = CounterSum(o);
  if (after - before != total) {
    std::fprintf(stderr, "multi_load: counters grew by %llu, %llu transactions ran\n",
                 static_cast<unsigned long long>(after - before),
                 static_cast<unsigned long long>(total));
    return 1;
  }
  std::printf("transactions=%llu clients=%d pipeline=%d seconds=%.3f tx_per_sec=%.0f\n",
              static_cast<unsigned long long>(total), o.clients, o.pipeline, secs,
              static_cast<double>(total) / secs);
  return 0;
}
