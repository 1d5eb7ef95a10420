// xgroup_load: the XREADGROUP + XACK consumer workload against any RESP server (Aegisr or
// Redis), for perf/xgroup_compare.sh. Fills a stream with N entries, creates a group at 0, then
// C client threads (consumer c<i> each) loop: P pipelined "XREADGROUP GROUP g c<i> COUNT k
// STREAMS s >", then, in the same write as the next P reads, one "XACK s g id..." per reply
// with the IDs it returned, until the stream is exhausted. Reports the entries consumed and
// acknowledged per second (N / wall time from the first read to the last ack), and checks at
// the end that the group read all N and has nothing pending.
//
// Standalone (POSIX sockets and the headers beside it, resp_client.h and load_harness.h; no project
// libraries), so that the client is the same program for both servers:
//   g++ -O2 -std=c++20 -pthread perf/xgroup_load.cc -o build/xgroup_load
//   build/xgroup_load --port 6379 --entries 1000000 --clients 4 --pipeline 8 --count 10
// Threading: one blocking connection per client thread; the main thread fills and checks.

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
  uint64_t entries = 1000000;
  int clients = 4;
  int pipeline = 8;
  int count = 10;
  int value_bytes = 16;
  std::string key = "xgl:stream";
};

void Fill(const Options& o) {
  Conn c(o.port);
  std::string cmd;
  AppendCommand(&cmd, {"DEL", o.key});
  c.Send(cmd);
  c.Read();
  std::string value(static_cast<size_t>(o.value_bytes), 'v');
  const uint64_t kBatch = 1000;
  for (uint64_t i = 0; i < o.entries; i += kBatch) {
    cmd.clear();
    uint64_t n = std::min(kBatch, o.entries - i);
    for (uint64_t j = 0; j < n; ++j) {
      std::string id = std::to_string(i + j + 1) + "-0";
      AppendCommand(&cmd, {"XADD", o.key, id, "field", value});
    }
    c.Send(cmd);
    for (uint64_t j = 0; j < n; ++j) {
      Reply r = c.Read();
      Expect(r.type == '$', "XADD", r);
    }
  }
  cmd.clear();
  AppendCommand(&cmd, {"XGROUP", "CREATE", o.key, "g", "0"});
  c.Send(cmd);
  Reply r = c.Read();
  Expect(r.type == '+', "XGROUP CREATE", r);
}

// One consumer: returns the entries it read and acknowledged.
uint64_t Consume(const Options& o, int index, const load::StartGate& go) {
  Conn c(o.port);
  std::string consumer = "c" + std::to_string(index);
  std::string count = std::to_string(o.count);
  std::string read;
  AppendCommand(&read,
                {"XREADGROUP", "GROUP", "g", consumer, "COUNT", count, "STREAMS", o.key, ">"});
  go.Wait();
  uint64_t consumed = 0;
  size_t acks_in_flight = 0;
  std::string out;
  for (int i = 0; i < o.pipeline; ++i) out += read;
  for (;;) {
    c.Send(out);
    out.clear();
    for (size_t i = 0; i < acks_in_flight; ++i) {
      Reply r = c.Read();
      Expect(r.type == ':', "XACK", r);
    }
    acks_in_flight = 0;
    bool exhausted = false;
    for (int i = 0; i < o.pipeline; ++i) {
      Reply r = c.Read();
      if (r.null) {
        exhausted = true;
        continue;
      }
      Expect(r.type == '*' && r.items.size() == 1, "XREADGROUP", r);
      const Reply& entries = r.items[0].items[1];
      if (entries.items.empty()) {
        exhausted = true;
        continue;
      }
      std::vector<std::string_view> ack = {"XACK", o.key, "g"};
      for (const Reply& e : entries.items) ack.push_back(e.items[0].text);
      AppendCommand(&out, ack);
      ++acks_in_flight;
      consumed += entries.items.size();
    }
    if (exhausted) {
      if (acks_in_flight > 0) {
        c.Send(out);
        for (size_t i = 0; i < acks_in_flight; ++i) c.Read();
      }
      return consumed;
    }
    for (int i = 0; i < o.pipeline; ++i) out += read;
  }
}

void Check(const Options& o) {
  Conn c(o.port);
  std::string cmd;
  AppendCommand(&cmd, {"XPENDING", o.key, "g"});
  c.Send(cmd);
  Reply r = c.Read();
  Expect(r.type == '*' && !r.items.empty() && r.items[0].text == "0", "XPENDING (pending left)", r);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  load::ParseFlags(argc, argv,
                   {{"--port", &o.port},
                    {"--entries", &o.entries},
                    {"--clients", &o.clients},
                    {"--pipeline", &o.pipeline},
                    {"--count", &o.count},
                    {"--value-bytes", &o.value_bytes}});
  Fill(o);
  load::ClientsRun run = load::RunClients(
      o.clients, [&](int i, const load::StartGate& go) { return Consume(o, i, go); });
  uint64_t total = run.total;
  double secs = run.seconds;
  Check(o);
  if (total != o.entries) {
    std::fprintf(stderr, "xgroup_load: consumed %llu of %llu entries\n",
                 static_cast<unsigned long long>(total),
                 static_cast<unsigned long long>(o.entries));
    return 1;
  }
  std::printf("entries=%llu clients=%d pipeline=%d count=%d seconds=%.3f entries_per_sec=%.0f\n",
              static_cast<unsigned long long>(total), o.clients, o.pipeline, o.count, secs,
              static_cast<double>(total) / secs);
  return 0;
}
