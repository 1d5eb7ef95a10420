// PLACEHOLDER: the server (listeners and loop threads) is being written.
namespace aegisr {}
