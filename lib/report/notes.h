/* notes.h — what a ransom note asks the victim to use (notes.c): Bitcoin
 * addresses (base58check with its SHA-256 checksum verified, and bech32 /
 * bech32m with its checksum verified), Monero addresses (form only: their
 * Keccak checksum is not checked), .onion links, e-mail addresses and
 * victim ids ("ID: ...", "personal id", "your key"). */
#ifndef HF_REPORT_NOTES_H
#define HF_REPORT_NOTES_H

#include <stddef.h>

enum hf_note_kind { HF_NOTE_BTC = 0, HF_NOTE_XMR, HF_NOTE_ONION, HF_NOTE_EMAIL, HF_NOTE_VICTIM_ID, HF_NOTE_KIND_COUNT };

const char *hf_note_kind_name(int kind); /* "bitcoin", "monero", "onion", "email", "victim_id" */

/* checks; 1 valid, 0 not */
int hf_note_btc_base58_ok(const char *s, size_t n); /* P2PKH / P2SH, version 0x00 / 0x05 */
int hf_note_btc_bech32_ok(const char *s, size_t n); /* bc1..., either checksum constant */

/* every distinct value found, in order of first appearance; each is a
 * NUL-terminated copy. fn returns non-zero to stop. */
typedef int (*hf_note_fn)(void *arg, int kind, const char *value);
/* 0, fn's value, or -ENOMEM */
int hf_note_extract(const char *text, size_t n, hf_note_fn fn, void *arg);

#endif
