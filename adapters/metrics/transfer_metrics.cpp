#include "adapters/metrics/transfer_metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>

#include "adapters/metrics/registry.hpp"

namespace kemas::metrics {

struct transfer_metrics::impl {
  std::array<prometheus::Counter*, 5> uploads{};
  std::array<prometheus::Counter*, 2> downloads{};
  prometheus::Counter* upload_bytes = nullptr;
  prometheus::Counter* download_bytes = nullptr;
  prometheus::Gauge* uploads_running = nullptr;
  prometheus::Gauge* buffer_leased = nullptr;
  std::atomic<std::uint64_t> tally_downloads{0};
  std::atomic<std::uint64_t> tally_bytes{0};
};

transfer_metrics::transfer_metrics(registry& r) : impl_(std::make_unique<impl>()) {
  auto& reg = r.prometheus_registry();
  auto& uploads = prometheus::BuildCounter()
                      .Name("kemas_uploads_total")
                      .Help("Upload requests by outcome")
                      .Register(reg);
  // Created up front so every outcome is exported from the start (0 rather than absent).
  constexpr std::array<std::string_view, 5> upload_names{"committed", "accepted", "rejected",
                                                         "refused", "failed"};
  for (std::size_t i = 0; i < upload_names.size(); ++i)
    impl_->uploads[i] = &uploads.Add({{"outcome", std::string(upload_names[i])}});
  auto& downloads = prometheus::BuildCounter()
                        .Name("kemas_downloads_total")
                        .Help("Download bodies by outcome")
                        .Register(reg);
  impl_->downloads[0] = &downloads.Add({{"outcome", "completed"}});
  impl_->downloads[1] = &downloads.Add({{"outcome", "aborted"}});
  impl_->upload_bytes = &prometheus::BuildCounter()
                             .Name("kemas_upload_bytes_total")
                             .Help("Bytes of uploads handed to the workers")
                             .Register(reg)
                             .Add({});
  impl_->uploads_running = &prometheus::BuildGauge()
                              .Name("kemas_uploads_running")
                              .Help("Uploads whose body is being received now")
                              .Register(reg)
                              .Add({});
  impl_->buffer_leased = &prometheus::BuildGauge()
                             .Name("kemas_upload_buffer_leased_bytes")
                             .Help("Buffer memory leased by running uploads (upload.buffer_budget)")
                             .Register(reg)
                             .Add({});
  impl_->download_bytes = &prometheus::BuildCounter()
                               .Name("kemas_download_bytes_total")
                               .Help("Bytes of file content sent to clients")
                               .Register(reg)
                               .Add({});
}

transfer_metrics::~transfer_metrics() = default;

void transfer_metrics::upload_finished(upload_outcome outcome, std::uint64_t bytes) {
  impl_->uploads[static_cast<std::size_t>(outcome)]->Increment();
  impl_->upload_bytes->Increment(static_cast<double>(bytes));
}

void transfer_metrics::download_finished(download_outcome outcome, std::uint64_t bytes) {
  impl_->downloads[static_cast<std::size_t>(outcome)]->Increment();
  impl_->download_bytes->Increment(static_cast<double>(bytes));
  impl_->tally_downloads.fetch_add(1, std::memory_order_relaxed);
  impl_->tally_bytes.fetch_add(bytes, std::memory_order_relaxed);
}

transfer_metrics::download_tally transfer_metrics::take_download_tally() noexcept {
  return {impl_->tally_downloads.exchange(0), impl_->tally_bytes.exchange(0)};
}

void transfer_metrics::return_download_tally(download_tally tally) noexcept {
  impl_->tally_downloads.fetch_add(tally.downloads);
  impl_->tally_bytes.fetch_add(tally.bytes);
}

void transfer_metrics::upload_started(std::uint64_t leased_bytes) {
  impl_->uploads_running->Increment();
  impl_->buffer_leased->Increment(static_cast<double>(leased_bytes));
}

void transfer_metrics::upload_ended(std::uint64_t leased_bytes) {
  impl_->uploads_running->Decrement();
  impl_->buffer_leased->Decrement(static_cast<double>(leased_bytes));
}

}  // namespace kemas::metrics
