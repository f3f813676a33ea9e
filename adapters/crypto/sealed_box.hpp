#pragma once
// sealed_box: authenticated encryption of a short secret for one reader, so that it can
// travel through places that must not hold it in clear. The password-reset token rides in
// its event (outbox row, broker, audit consumer) sealed with mail.token_key; only the mailer,
// which holds the same key, opens it to put the link in the message.
//
//   key    = HKDF-SHA256(key_material, salt "kemas sealed box v1", info = purpose)
//   sealed = base64url(nonce(12) || AES-256-GCM ciphertext || tag(16))
//
// `context` is bound as additional data (e.g. the user id): a box moved to another event
// does not open. Pure functions, thread-safe. seal() throws std::runtime_error only if
// OpenSSL or the CSPRNG fails; open() returns nullopt for anything that does not
// authenticate (wrong key, purpose or context, truncated or edited text).

#include <optional>
#include <string>
#include <string_view>

namespace kemas::crypto {

// The purpose of the password-reset token's box; the context is the user id.
inline constexpr std::string_view reset_token_purpose = "kemas password-reset token v1";

std::string seal(std::string_view key_material, std::string_view purpose, std::string_view context,
                 std::string_view plaintext);

std::optional<std::string> open_sealed(std::string_view key_material, std::string_view purpose,
                                       std::string_view context, std::string_view sealed);

}  // namespace kemas::crypto
