// Adds `hello: <plugin configuration>` to every response (`hello: world` without configuration).
#include <string>
#include <string_view>

#include "proxy_wasm_intrinsics.h"

namespace {

constexpr std::string_view kHeaderName = "hello";
constexpr std::string_view kDefaultValue = "world";

class AddHeaderRootContext : public RootContext {
public:
  explicit AddHeaderRootContext(uint32_t id, std::string_view root_id) : RootContext(id, root_id) {}

  bool onConfigure(size_t configuration_size) override {
    value_ = std::string(kDefaultValue);
    if (configuration_size > 0) {
      auto configuration =
          getBufferBytes(WasmBufferType::PluginConfiguration, 0, configuration_size);
      value_ = configuration->toString();
    }
    LOG_INFO("adding response header " + std::string(kHeaderName) + ": " + value_);
    return true;
  }

  const std::string &value() const { return value_; }

private:
  std::string value_{kDefaultValue};
};

class AddHeaderContext : public Context {
public:
  explicit AddHeaderContext(uint32_t id, RootContext *root) : Context(id, root) {}

  FilterHeadersStatus onResponseHeaders(uint32_t, bool) override {
    auto *root_context = static_cast<AddHeaderRootContext *>(root());
    addResponseHeader(kHeaderName, root_context->value());
    return FilterHeadersStatus::Continue;
  }
};

// The root id must match runtime-config.json and the deployment's rootID.
RegisterContextFactory register_add_header(CONTEXT_FACTORY(AddHeaderContext),
                                           ROOT_FACTORY(AddHeaderRootContext), "add_header");

} // namespace
