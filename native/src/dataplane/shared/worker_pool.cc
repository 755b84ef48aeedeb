#include "dataplane/shared/worker_pool.h"

namespace mmproxy::dataplane {

WorkerPool::WorkerPool(unsigned threads) : size_(threads) {
  loops_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) loops_.push_back(std::make_unique<EventLoop>(i));
}

void WorkerPool::Close() {
  if (closed_) return;
  closed_ = true;
  for (auto& loop : loops_) loop->Stop();
}

}  // namespace mmproxy::dataplane
