#pragma once
// Wire error texts of the connection and server command family (HELLO, AUTH, CLIENT, COMMAND,
// SHUTDOWN, DEBUG), byte-exact with Redis 7.0. Constants only: thread-safe.

#include <string_view>

namespace aegisr::errors {

inline constexpr std::string_view kAuthNoPassword =
    "ERR AUTH <password> called without any password configured for the default user. Are you "
    "sure your configuration is correct?";
inline constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr std::string_view kHelloNoAuth =
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
    "AUTH <user> <pass> option can be used to authenticate the client and select the RESP "
    "protocol version at the same time";
inline constexpr std::string_view kProtoVersionNotInteger =
    "ERR Protocol version is not an integer or out of range";
inline constexpr std::string_view kBadClientName =
    "ERR Client names cannot contain spaces, newlines or special characters.";
inline constexpr std::string_view kNoSuchClient = "ERR No such client";
inline constexpr std::string_view kClientIdNotPositive = "ERR client-id should be greater than 0";
inline constexpr std::string_view kInvalidClientId = "ERR Invalid client ID";
inline constexpr std::string_view kInvalidCommandSpecified = "ERR Invalid command specified";
inline constexpr std::string_view kCommandHasNoKeys = "ERR The command has no key arguments";
inline constexpr std::string_view kInvalidNumberOfArgs =
    "ERR Invalid number of arguments specified for command";
inline constexpr std::string_view kInvalidArgsForCommand =
    "ERR Invalid arguments specified for command";
inline constexpr std::string_view kNoShutdownInProgress = "ERR No shutdown in progress.";
// "ERR Syntax error in HELLO option '%s'", "ERR Unknown client type '%s'", "ERR No such user
// '%s'" and DEBUG's unknown-subcommand error are formatted where they are raised.

}  // namespace aegisr::errors
