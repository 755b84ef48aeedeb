// Carries batches of events from the workers to the JavaScript callback
// through one ThreadSafeFunction. Never blocks a worker: when JavaScript
// lags and the queue is full, the batch is dropped and counted.
#pragma once

#include <napi.h>

#include <memory>

#include "dataplane/shared/event.h"

namespace mmproxy::dataplane {

class EventSink : public EventOutlet {
 public:
  // `on_events` is the JavaScript (events: DataPlaneEvent[]) => void.
  EventSink(Napi::Env env, Napi::Function on_events);
  EventSink(const EventSink&) = delete;
  EventSink& operator=(const EventSink&) = delete;
  ~EventSink() override;

  // From any thread. Returns false when the batch was dropped.
  bool Post(EventBatch batch) override;
  // After every producer thread is joined: no more Post() calls.
  void Release();

 private:
  Napi::ThreadSafeFunction tsfn_;
  bool released_ = false;
};

}  // namespace mmproxy::dataplane
