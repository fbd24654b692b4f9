// ownership.cc — Owner: a read/write lock with non-blocking JS-thread entry, loans to JS, the
// long-session flag and the count of async calls in flight (see ownership.h).
#include "ownership.h"

namespace nt {

Owner::Hold::Hold(Hold&& other) noexcept : owner_(other.owner_), exclusive_(other.exclusive_), loan_(other.loan_) { other.owner_ = nullptr; }

Owner::Hold& Owner::Hold::operator=(Hold&& other) noexcept {
  if (this != &other) {
    Release();
    owner_ = other.owner_;
    exclusive_ = other.exclusive_;
    loan_ = other.loan_;
    other.owner_ = nullptr;
  }
  return *this;
}

void Owner::Hold::Release() {
  if (owner_ != nullptr && !loan_) owner_->Unlock(exclusive_);
  owner_ = nullptr;
}

void Owner::Unlock(bool exclusive) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (exclusive) {
      writer_ = false;
      writerName_ = nullptr;
    } else {
      --readers_;
    }
  }
  changed_.notify_all();
}

Owner::Hold Owner::Read() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return !writer_ && writersWaiting_ == 0; });
  ++readers_;
  return Hold(this, false, false);
}

Owner::Hold Owner::Write(const char* who) {
  std::unique_lock<std::mutex> lock(mutex_);
  ++writersWaiting_;
  changed_.wait(lock, [&] { return !writer_ && readers_ == 0; });
  --writersWaiting_;
  writer_ = true;
  writerName_ = who;
  return Hold(this, true, false);
}

Owner::Hold Owner::TryRead(const char* op) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!writer_) {
    ++readers_;
    return Hold(this, false, false);
  }
  if (lent_) return Hold(this, false, true);
  throw Busy(op);
}

Owner::Hold Owner::TryWrite(const char* op) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (writer_ || readers_ > 0) throw Busy(op);
  writer_ = true;
  writerName_ = op;
  return Hold(this, true, false);
}

bool Owner::BeginSession(const char* name) {
  const char* none = nullptr;
  return session_.compare_exchange_strong(none, name);
}

void Owner::EndSession() { session_ = nullptr; }

Owner::Use::Use(Owner& owner, const char* who) : owner_(&owner) {
  owner.lastUser_ = who;
  ++owner.users_;
}

Owner::Use::~Use() {
  if (owner_ != nullptr) --owner_->users_;
}

void Owner::RequireIdle(const char* op) const {
  const char* session = session_.load();
  if (session != nullptr) throw BusyError(op, std::string(noun_) + " is busy: it is training (" + session + "); await " + session + " first");
  if (users_.load() > 0) {
    const char* user = lastUser_.load();
    throw BusyError(op, std::string(noun_) + " is busy: " + (user != nullptr ? user : "another call") + " is using it; await the running call first");
  }
}

BusyError Owner::Busy(const char* op) const {
  const char* session = session_.load();
  const char* writer = writerName_.load();
  const char* user = lastUser_.load();
  std::string what;
  if (writer != nullptr) {
    what = std::string(writer) + (lent_.load() ? " is waiting for its JS loss (only reads are allowed meanwhile)" : " is updating it");
  } else if (session != nullptr) {
    what = std::string("it is training (") + session + ")";
  } else {
    what = std::string(user != nullptr ? user : "another call") + " is using it";
  }
  std::string advice = session != nullptr ? std::string("call it from an epoch callback (onEpochBegin/onEpochEnd), or await ") + session
                                          : "await the running call first";
  return BusyError(op, std::string(noun_) + " is busy: " + what + "; " + advice);
}

}  // namespace nt
