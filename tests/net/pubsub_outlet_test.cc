// Unit tests for PubSubOutlet (net/pubsub_outlet.h): the states a subscriber's socket goes
// through when publishers on other threads write it, on a real socket pair.
#include "net/pubsub_outlet.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace aegisr {
namespace {

using State = PubSubOutlet::State;

class OutletTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0);
    outlet_ = new PubSubOutlet(fds_[0], /*owner=*/1, /*client_id=*/42);
  }
  void TearDown() override {
    outlet_->Unref();
    close(fds_[0]);
    close(fds_[1]);
  }
  // Everything the subscriber's end can read now.
  std::string Drain() {
    std::string got;
    char buf[65536];
    ssize_t n;
    while ((n = recv(fds_[1], buf, sizeof(buf), MSG_DONTWAIT)) > 0) got.append(buf, size_t(n));
    return got;
  }
  static std::string Encoded(std::string_view channel, std::string_view message) {
    std::string e;
    EncodeChannelMessage(&e, channel, message);
    return e;
  }

  int fds_[2];
  PubSubOutlet* outlet_ = nullptr;
};

TEST(PubSubFrame, Resp2ArraysAndResp3Pushes) {
  std::string e;
  EncodeChannelMessage(&e, "ch", "hello");
  EXPECT_EQ(e, "$2\r\nch\r\n$5\r\nhello\r\n");
  std::string out;
  AppendPubSubFrame(&out, 2, PubSubKind::kMessage, "", e);
  EXPECT_EQ(out, "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n");
  out.clear();
  AppendPubSubFrame(&out, 3, PubSubKind::kPMessage, "c*", e);
  EXPECT_EQ(out, ">4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$5\r\nhello\r\n");
  out.clear();
  AppendPubSubFrame(&out, 3, PubSubKind::kSMessage, "", e);
  EXPECT_EQ(out, ">3\r\n$8\r\nsmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n");
}

TEST_F(OutletTest, OwnedUntilReleasedThenWrittenByThePublisher) {
  bool first = false;
  // A new connection's outlet belongs to its loop: publishers use the mailbox.
  EXPECT_TRUE(outlet_->owned());
  EXPECT_FALSE(outlet_->TryAppend(PubSubKind::kMessage, "", Encoded("a", "1"), &first));
  outlet_->Release(2);
  EXPECT_EQ(outlet_->state(), State::kIdle);
  EXPECT_TRUE(outlet_->TryAppend(PubSubKind::kMessage, "", Encoded("a", "1"), &first));
  EXPECT_TRUE(first);  // the caller must flush it
  EXPECT_EQ(outlet_->state(), State::kRemote);
  EXPECT_TRUE(outlet_->TryAppend(PubSubKind::kMessage, "", Encoded("a", "2"), &first));
  EXPECT_FALSE(first);     // already on a flush list
  EXPECT_EQ(Drain(), "");  // nothing written before the flush
  bool handoff = true;
  size_t sent = outlet_->Flush(&handoff);
  EXPECT_FALSE(handoff);
  std::string want =
      "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\n1\r\n"
      "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\n2\r\n";
  EXPECT_EQ(sent, want.size());
  EXPECT_EQ(Drain(), want);
  EXPECT_EQ(outlet_->state(), State::kIdle);
  // Nothing pending: a second flush writes nothing.
  EXPECT_EQ(outlet_->Flush(&handoff), 0u);
  EXPECT_FALSE(handoff);
}

TEST_F(OutletTest, TheOwnerTakesBackWhatIsPendingInFrontOfItsOutput) {
  bool first = false;
  outlet_->Release(3);
  ASSERT_TRUE(outlet_->TryAppend(PubSubKind::kMessage, "", Encoded("a", "1"), &first));
  std::string out = "+reply\r\n";  // written by the owner after the message was appended
  outlet_->Reclaim(&out);
  EXPECT_EQ(out, ">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\n1\r\n+reply\r\n");
  EXPECT_TRUE(outlet_->owned());
  // The publisher's flush comes later and finds nothing of its own to write.
  bool handoff = true;
  EXPECT_EQ(outlet_->Flush(&handoff), 0u);
  EXPECT_FALSE(handoff);
  EXPECT_EQ(Drain(), "");
  // Back with the owner, publishers go to the mailbox again.
  EXPECT_FALSE(outlet_->TryAppend(PubSubKind::kMessage, "", Encoded("a", "2"), &first));
}

TEST_F(OutletTest, AFullSocketHandsTheRestToTheOwner) {
  int small = 4096;
  ASSERT_EQ(setsockopt(fds_[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
  outlet_->Release(2);
  std::string big(PubSubOutlet::kMaxPending / 2, 'x');
  bool first = false;
  ASSERT_TRUE(outlet_->TryAppend(PubSubKind::kMessage, "", Encoded("a", big), &first));
  bool handoff = false;
  size_t sent = outlet_->Flush(&handoff);
  EXPECT_TRUE(handoff);
  EXPECT_LT(sent, big.size());
  EXPECT_EQ(outlet_->state(), State::kHandoff);
  // Until the owner takes over, publishers queue behind the rest in its mailbox.
  EXPECT_FALSE(outlet_->TryAppend(PubSubKind::kMessage, "", Encoded("a", "2"), &first));
  std::string rest;
  outlet_->Reclaim(&rest);
  EXPECT_TRUE(outlet_->owned());
  std::string written = Drain();
  EXPECT_EQ(written.size(), sent);
  std::string frame;
  AppendPubSubFrame(&frame, 2, PubSubKind::kMessage, "", Encoded("a", big));
  EXPECT_EQ(written + rest, frame);  // not a byte lost or repeated
}

TEST_F(OutletTest, PastTheCapPublishersGoBackToTheMailbox) {
  outlet_->Release(2);
  std::string chunk(PubSubOutlet::kMaxPending / 4, 'y');
  bool first = false;
  int appended = 0;
  while (outlet_->TryAppend(PubSubKind::kMessage, "", Encoded("c", chunk), &first)) ++appended;
  EXPECT_EQ(appended, 3);  // the fourth, with its headers, would pass the cap
  EXPECT_EQ(outlet_->state(), State::kHandoff);
  bool handoff = true;
  EXPECT_EQ(outlet_->Flush(&handoff), 0u);  // the owner sends it, in front of the mailbox's
  EXPECT_FALSE(handoff);
  std::string out;
  outlet_->Reclaim(&out);
  EXPECT_GE(out.size(), 3 * chunk.size());
}

TEST_F(OutletTest, ALargeMessageGoesThroughTheMailboxAndSoDoTheNextOnes) {
  outlet_->Release(2);
  bool first = false;
  std::string large(PubSubOutlet::kMaxPending, 'z');
  EXPECT_FALSE(outlet_->TryAppend(PubSubKind::kMessage, "", Encoded("a", large), &first));
  // A small one after it must not overtake it.
  EXPECT_FALSE(outlet_->TryAppend(PubSubKind::kMessage, "", Encoded("a", "1"), &first));
  EXPECT_EQ(outlet_->state(), State::kHandoff);
  std::string out;
  outlet_->Reclaim(&out);
  EXPECT_EQ(out, "");
  EXPECT_TRUE(outlet_->owned());
}

TEST_F(OutletTest, AClosedOutletTakesNothing) {
  bool first = false;
  outlet_->Release(2);
  ASSERT_TRUE(outlet_->TryAppend(PubSubKind::kMessage, "", Encoded("a", "1"), &first));
  outlet_->Close();
  EXPECT_EQ(outlet_->state(), State::kClosed);
  bool handoff = true;
  EXPECT_EQ(outlet_->Flush(&handoff), 0u);
  EXPECT_FALSE(handoff);
  EXPECT_EQ(Drain(), "");
  EXPECT_FALSE(outlet_->TryAppend(PubSubKind::kMessage, "", Encoded("a", "2"), &first));
  std::string out;
  outlet_->Reclaim(&out);  // stays closed
  EXPECT_EQ(outlet_->state(), State::kClosed);
  outlet_->Release(2);
  EXPECT_EQ(outlet_->state(), State::kClosed);
}

// Publishers on several threads against an owner that keeps taking the socket back: every
// message arrives once, each publisher's in order, and no frame is cut by another.
TEST_F(OutletTest, ConcurrentPublishersAndOwnerKeepEachPublishersOrder) {
  constexpr int kPublishers = 3, kMessages = 2000;
  std::atomic<bool> done{false};
  std::string owner_out;  // what the owner took back and "sent" itself
  std::thread owner([&] {
    int turn = 0;
    while (!done.load()) {
      outlet_->Reclaim(&owner_out);
      // The owner writes what it took back before letting go again, as the loop does.
      size_t off = 0;
      while (off < owner_out.size()) {
        ssize_t n = send(fds_[0], owner_out.data() + off, owner_out.size() - off, MSG_NOSIGNAL);
        ASSERT_GT(n, 0);
        off += size_t(n);
      }
      owner_out.clear();
      outlet_->Release(2);
      if (++turn % 2) std::this_thread::yield();
    }
  });
  std::mutex mailbox;  // stands in for the owner's mailbox lock
  std::vector<std::thread> pubs;
  std::atomic<int> via_outlet{0};
  for (int p = 0; p < kPublishers; ++p) {
    pubs.emplace_back([&, p] {
      for (int i = 0; i < kMessages; ++i) {
        std::string e = Encoded("ch", std::to_string(p) + ":" + std::to_string(i));
        bool first = false;
        while (true) {
          {
            std::lock_guard lk(mailbox);
            if (outlet_->TryAppend(PubSubKind::kMessage, "", e, &first)) break;
          }
          std::this_thread::yield();  // (the mailbox path is not modelled: retry)
        }
        via_outlet.fetch_add(1);
        bool handoff = false;
        outlet_->Flush(&handoff);  // a full socket hands the rest to the owner's next turn
      }
    });
  }
  std::string got;
  std::vector<int> next(kPublishers, 0);
  size_t pos = 0;
  int messages = 0;
  std::string prefix = "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$";
  while (messages < kPublishers * kMessages) {
    char buf[65536];
    ssize_t n = recv(fds_[1], buf, sizeof(buf), 0);
    ASSERT_GT(n, 0);
    got.append(buf, size_t(n));
    while (true) {
      if (got.size() - pos < prefix.size()) break;
      ASSERT_EQ(got.compare(pos, prefix.size(), prefix), 0) << got.substr(pos, 60);
      size_t crlf = got.find("\r\n", pos + prefix.size());
      if (crlf == std::string::npos) break;
      size_t len = std::stoul(got.substr(pos + prefix.size(), crlf - pos - prefix.size()));
      if (got.size() < crlf + 2 + len + 2) break;
      std::string body = got.substr(crlf + 2, len);
      int p = std::stoi(body.substr(0, body.find(':')));
      int i = std::stoi(body.substr(body.find(':') + 1));
      ASSERT_EQ(i, next[p]) << "publisher " << p;
      ++next[p];
      ++messages;
      pos = crlf + 2 + len + 2;
    }
  }
  for (auto& t : pubs) t.join();
  done = true;
  owner.join();
  EXPECT_EQ(via_outlet.load(), kPublishers * kMessages);
  EXPECT_EQ(Drain(), "");
}

}  // namespace
}  // namespace aegisr
