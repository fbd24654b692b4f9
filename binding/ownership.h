// ownership.h — the one ownership model of native objects that JS and native threads share
// (models, TorchScript modules; GAN trainers through their two models). docs/concurrency.md
// states the rules; in short:
//   * Data: a read/write lock. Reads (forwards, snapshots) share it; writes (a training step,
//     copying weights in, loading optimizer state) are exclusive. Native threads wait their turn
//     (Read/Write); the JS thread never waits: TryRead/TryWrite throw a BusyError naming the
//     holder at once.
//   * Loan: an exclusive holder that waits for JS (a JS loss) lends the object to the JS thread
//     for reads meanwhile (LendToJs), so a loss or a callback may read the model it trains.
//   * Session: one long exclusive activity (fit, GAN training) at a time, owned from the JS thread
//     (BeginSession/EndSession); others are refused, and the advice in busy errors names it.
//   * Users: async calls in flight (predict, evaluate, trainOnBatch, save...) counted, so changes
//     of structure (compile, to) can refuse while something still relies on it (RequireIdle).
// No lock here is held across a call into JS, and the internal mutex only guards counters.
#pragma once
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>

namespace nt {

// The object is in use: thrown on the JS thread instead of waiting. `op` names the call.
class BusyError : public std::runtime_error {
 public:
  BusyError(std::string op, const std::string& message) : std::runtime_error(message), op_(std::move(op)) {}
  const char* op() const { return op_.c_str(); }

 private:
  std::string op_;
};

class Owner {
 public:
  // `noun` names the object in errors ("the model").
  explicit Owner(const char* noun) : noun_(noun) {}
  Owner(const Owner&) = delete;
  Owner& operator=(const Owner&) = delete;

  // A hold on the data, released when destroyed (or by Release()).
  class Hold {
   public:
    Hold() = default;
    Hold(Hold&& other) noexcept;
    Hold& operator=(Hold&& other) noexcept;
    ~Hold() { Release(); }
    void Release();
    // A loan: the JS thread reads while an exclusive holder waits for JS (nothing was locked).
    bool IsLoan() const { return loan_; }

   private:
    friend class Owner;
    Hold(Owner* owner, bool exclusive, bool loan) : owner_(owner), exclusive_(exclusive), loan_(loan) {}
    Owner* owner_ = nullptr;
    bool exclusive_ = false;
    bool loan_ = false;
  };

  // Native threads: wait until the data is free (readers also let waiting writers go first).
  Hold Read();
  Hold Write(const char* who);
  // JS thread: take it now or throw a BusyError naming `op`.
  Hold TryRead(const char* op);
  Hold TryWrite(const char* op);

  // An exclusive holder about to wait for the JS thread lends the object to it for reads; the
  // loan must end on the JS thread before the holder is woken (EndLoan), or a JS read could
  // overlap the holder's next writes. Lending by a reader changes nothing.
  void Lend() { lent_ = true; }
  void EndLoan() { lent_ = false; }
  // Lend() for a scope, when the holder itself runs on the JS thread.
  class LendToJs {
   public:
    explicit LendToJs(Owner& owner) : owner_(owner) { owner_.Lend(); }
    ~LendToJs() { owner_.EndLoan(); }
    LendToJs(const LendToJs&) = delete;
    LendToJs& operator=(const LendToJs&) = delete;

   private:
    Owner& owner_;
  };

  // The long exclusive activity (JS thread): false when another one runs.
  bool BeginSession(const char* name);
  void EndSession();
  const char* Session() const { return session_.load(); }

  // An async call in flight, counted until destroyed (may end on any thread).
  class Use {
   public:
    Use() = default;
    explicit Use(Owner& owner, const char* who);
    Use(Use&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
    Use& operator=(Use&&) = delete;
    ~Use();

   private:
    Owner* owner_ = nullptr;
  };

  // Throws a BusyError naming `op` while a session or an async call is in flight (JS thread).
  void RequireIdle(const char* op) const;
  // The BusyError for `op`, saying what holds the object and what to do.
  BusyError Busy(const char* op) const;

 private:
  void Unlock(bool exclusive);

  const char* noun_;
  std::mutex mutex_;  // guards the counters below; never held while waiting for anything else
  std::condition_variable changed_;
  int readers_ = 0;
  bool writer_ = false;
  int writersWaiting_ = 0;
  std::atomic<const char*> writerName_{nullptr};
  std::atomic<bool> lent_{false};
  std::atomic<const char*> session_{nullptr};
  std::atomic<int> users_{0};
  std::atomic<const char*> lastUser_{nullptr};
};

}  // namespace nt
