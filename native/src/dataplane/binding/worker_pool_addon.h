// The WorkerPool class JavaScript sees (src/native/dataplane-types.ts): an
// ObjectWrap owning the shared worker threads (shared/worker_pool.h). It
// knows the planes made on it, so that close(), the destructor and the
// environment's cleanup hook close them before stopping the threads.
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

#include "dataplane/shared/worker_pool.h"

namespace mmproxy::dataplane {

// A data plane made on a pool, as the pool sees it.
class PoolMember {
 public:
  virtual ~PoolMember() = default;
  // The pool is closing: close the plane (it leaves the pool).
  virtual void CloseWithPool() = 0;
};

class WorkerPoolWrap : public Napi::ObjectWrap<WorkerPoolWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  // The pool `value` wraps, or null when it is not a WorkerPool.
  static WorkerPoolWrap* From(Napi::Value value);

  explicit WorkerPoolWrap(const Napi::CallbackInfo& info);
  ~WorkerPoolWrap() override;

  // Null once closed.
  const std::shared_ptr<WorkerPool>& pool() const { return pool_; }
  void Join(PoolMember* member) { members_.push_back(member); }
  void Leave(PoolMember* member);

 private:
  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  static void CleanupHook(void* self);
  // Idempotent: close every plane on the pool, then stop its threads.
  void Shutdown();

  unsigned size_ = 0;
  std::shared_ptr<WorkerPool> pool_;
  std::vector<PoolMember*> members_;
  bool cleanup_hook_ = false;
};

}  // namespace mmproxy::dataplane
