#include "adapters/crypto/sealed_box.hpp"

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <algorithm>
#include <array>
#include <memory>
#include <stdexcept>

#include "adapters/support/random.hpp"
#include "domain/base64.hpp"

namespace kemas::crypto {
namespace {

constexpr std::size_t key_size = 32;
constexpr std::size_t nonce_size = 12;
constexpr std::size_t tag_size = 16;
constexpr std::string_view salt = "kemas sealed box v1";

using key_bytes = std::array<unsigned char, key_size>;

struct pkey_ctx_free {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct cipher_ctx_free {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_free>;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

key_bytes derive(std::string_view material, std::string_view purpose) {
  std::unique_ptr<EVP_PKEY_CTX, pkey_ctx_free> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr));
  key_bytes key{};
  std::size_t size = key.size();
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set1_hkdf_salt(ctx.get(), bytes(salt), static_cast<int>(salt.size())) != 1 ||
      EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), bytes(material), static_cast<int>(material.size())) !=
          1 ||
      EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), bytes(purpose), static_cast<int>(purpose.size())) !=
          1 ||
      EVP_PKEY_derive(ctx.get(), key.data(), &size) != 1 || size != key.size())
    throw std::runtime_error("HKDF-SHA256 failed");
  return key;
}

cipher_ctx new_gcm(const key_bytes& key, const unsigned char* nonce, bool encrypt) {
  cipher_ctx ctx(EVP_CIPHER_CTX_new());
  if (!ctx ||
      EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt ? 1 : 0) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, nonce_size, nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce, encrypt ? 1 : 0) != 1)
    return nullptr;
  return ctx;
}

bool add_context(EVP_CIPHER_CTX* ctx, std::string_view context) {
  int ignored = 0;
  return context.empty() || EVP_CipherUpdate(ctx, nullptr, &ignored, bytes(context),
                                             static_cast<int>(context.size())) == 1;
}

}  // namespace

std::string seal(std::string_view key_material, std::string_view purpose, std::string_view context,
                 std::string_view plaintext) {
  const key_bytes key = derive(key_material, purpose);
  std::string box(nonce_size + plaintext.size() + tag_size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(box.data());
  support::random_bytes(out, nonce_size);
  cipher_ctx ctx = new_gcm(key, out, true);
  int written = 0;
  int final_bytes = 0;
  if (!ctx || !add_context(ctx.get(), context) ||
      EVP_CipherUpdate(ctx.get(), out + nonce_size, &written, bytes(plaintext),
                       static_cast<int>(plaintext.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), out + nonce_size + written, &final_bytes) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, tag_size,
                          out + nonce_size + plaintext.size()) != 1)
    throw std::runtime_error("AES-256-GCM seal failed");
  return base64url(box);
}

std::optional<std::string> open_sealed(std::string_view key_material, std::string_view purpose,
                                       std::string_view context, std::string_view sealed) {
  auto box = base64url_decode(sealed);
  if (!box || box->size() < nonce_size + tag_size)
    return std::nullopt;
  const auto* in = reinterpret_cast<const unsigned char*>(box->data());
  const std::size_t text_size = box->size() - nonce_size - tag_size;
  const key_bytes key = derive(key_material, purpose);
  cipher_ctx ctx = new_gcm(key, in, false);
  std::string plaintext(text_size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  std::array<unsigned char, tag_size> tag{};
  std::copy_n(in + nonce_size + text_size, tag_size, tag.begin());
  int written = 0;
  int final_bytes = 0;
  if (!ctx || !add_context(ctx.get(), context) ||
      EVP_CipherUpdate(ctx.get(), out, &written, in + nonce_size, static_cast<int>(text_size)) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, tag_size, tag.data()) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), out + written, &final_bytes) != 1)
    return std::nullopt;
  return plaintext;
}

}  // namespace kemas::crypto
