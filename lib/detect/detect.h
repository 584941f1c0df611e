/* detect.h — content profile of one file version, for ransomware detection between snapshots.
 *
 * A profile says what a file really is (from its bytes, never its name), whether it still decodes
 * completely as that type, how many 4 KiB blocks look random, and whether it is an encryption
 * container or base64/hex text of random bytes. One context may serve several threads; nothing
 * here prints. libmagic and the validators run in sandboxed worker processes (sandbox.c,
 * shared by every context of the process) unless HOLDFAST_SANDBOX=0, or the sandbox could not
 * start: then in-process, libmagic's cookie (~6 MiB once used) locked around each call. */
#ifndef HF_DETECT_H
#define HF_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Content types. The values are stored in tree entries: never renumber, only append. */
enum hf_ctype {
	HF_CT_UNKNOWN = 0, /* no recognisable structure (what ciphertext looks like) */
	HF_CT_TEXT = 1,
	HF_CT_PDF = 2,
	HF_CT_ZIP = 3,
	HF_CT_OOXML = 4, /* docx/xlsx/pptx: a zip with [Content_Types].xml */
	HF_CT_ODF = 5,   /* odt/ods/odp: a zip whose "mimetype" entry names an OpenDocument type */
	HF_CT_JPEG = 6,
	HF_CT_PNG = 7,
	HF_CT_GZIP = 8,
	HF_CT_XZ = 9,
	HF_CT_ZSTD = 10,
	HF_CT_BZIP2 = 11,
	HF_CT_SQLITE = 12,
	HF_CT_OPENPGP = 13,
	HF_CT_AGE = 14,
	HF_CT_7Z = 15,
	HF_CT_RESERVED_16 = 16, /* never assigned: ccrypt output has no signature (its magic
				 * number is encrypted), so it is judged as random content */
	HF_CT_ELF = 17,
	HF_CT_OTHER = 18, /* libmagic knows it, we do not validate it (tar, wav, ...) */
	HF_CT_MP3 = 19,   /* MPEG audio (layer I-III), every frame checked */
	HF_CT_MAX
};

/* hf_profile.valid */
#define HF_VALID_NO 0        /* does not decode completely as its type */
#define HF_VALID_YES 1       /* decodes completely (every entry, stream, pixel row, page) */
#define HF_VALID_UNCHECKED 2 /* unknown type, no validator, too big, or a cap was hit */

#define HF_DETECT_BLOCK 4096u              /* block size of the randomness statistics */
#define HF_DETECT_BLOCK_MIN 1024u          /* a shorter tail block (or file) is not judged */
#define HF_DETECT_VALIDATE_MAX (64u << 20) /* larger inputs get valid = HF_VALID_UNCHECKED */
#define HF_DETECT_OUTPUT_MAX (256u << 20)  /* decoded bytes one validation may produce */
#define HF_DETECT_RATIO_MAX 250u           /* zip entry expansion beyond this: not checked */

struct hf_profile {
	uint8_t type;                /* enum hf_ctype */
	uint8_t valid;               /* HF_VALID_* */
	uint8_t encrypted_container; /* OpenPGP, age, encrypted zip entries/7z, encrypted PDF */
	uint8_t encoded_random;      /* mostly base64 or hex text whose decoded bytes look random */
	uint8_t text_utf8;           /* the whole input is valid UTF-8 text (no NUL, few controls);
				      * not computed (0) in a light profile */
	uint8_t light;               /* a light profile (hf_detect_content, full = 0): one block
				      * in four, no libmagic, no validation (a full profile looks
				      * at every block, or a keyed sample of large files) */
	uint32_t blocks;             /* 4 KiB blocks looked at (a tail of >= 1 KiB counts as one) */
	uint32_t random_blocks;      /* entropy >= 7.9 bits/byte and chi-square in the random band */
};

/* Streaming randomness statistics: feed the file's bytes in any pieces, then final. */
struct hf_detect_blocks {
	uint32_t blocks;
	uint32_t random_blocks;
	uint32_t fill;         /* bytes in the current, incomplete block */
	uint32_t stride;       /* one block in stride is looked at (1: all) */
	uint32_t skip;         /* bytes still to pass over before the next block looked at */
	uint32_t one_in;       /* keyed sampling: each block looked at with chance 1/one_in (0: off) */
	uint64_t key, index;   /* keyed sampling: the secret, and the blocks decided so far */
	uint16_t hist[4][256]; /* byte counts of the current block, four interleaved */
};

void hf_detect_blocks_init(struct hf_detect_blocks *b);
/* Looks at one block in every stride (the first, then every stride-th): a cheaper estimate of
 * the random share for files nothing else is known about yet. */
void hf_detect_blocks_init_sampled(struct hf_detect_blocks *b, unsigned stride);
/* Looks at each block with chance 1/one_in, chosen by a hash of key and the block's number:
 * an estimate no pattern of encrypted blocks can dodge without knowing the key (a fixed stride
 * misses every other block encrypted by a stride of two). */
void hf_detect_blocks_init_keyed(struct hf_detect_blocks *b, unsigned one_in, uint64_t key);
void hf_detect_blocks_update(struct hf_detect_blocks *b, const uint8_t *data, size_t n);
/* Judges the tail block (if >= 1 KiB) and stores the counts in p->blocks / p->random_blocks. */
void hf_detect_blocks_final(struct hf_detect_blocks *b, struct hf_profile *p);

struct hf_detect;
/* NULL if holdfast-decoders.so or libmagic's database cannot be loaded (hf_detect_unavailable
 * says which). The first context of a process starts the
 * sandbox, which forks: call it while the process is single-threaded (else that context and
 * hf_detect_validate_as stay in-process, safely but unsandboxed). hf_detect_free of the last
 * context stops and reaps every sandbox process. */
struct hf_detect *hf_detect_new(void);
/* Starts the sandbox's zygote and returns at once, while the process is single-threaded: the
 * next hf_detect_new waits for it then, and whatever the caller does in between (cmd_backup:
 * the key's derivation) overlaps the zygote's start (tens of ms). */
void hf_detect_prestart(void);
/* why hf_detect_new returned NULL, in words */
const char *hf_detect_unavailable(void);
void hf_detect_free(struct hf_detect *d);
/* From now on d remembers what validation answered for up to `entries` contents (a MAC of all
 * their bytes under a key of d's own), and a content validated before is not decoded again:
 * for the watcher, which sees the same bytes copied again and again. Not for a backup: there
 * the MAC of every validated file costs more than the few repeats save. Call it before d is
 * used by more than one thread. */
void hf_detect_remember(struct hf_detect *d, size_t entries);
/* validations answered from memory, and looked up but not found there */
void hf_detect_remembered(struct hf_detect *d, uint64_t *hits, uint64_t *misses);

/* Everything but the block statistics (for a pipeline that streams those itself). data[0..n) is
 * the start of the file and total its full size. A full profile asks libmagic about binary
 * files our signatures do not know, and validates the whole file if total == n <=
 * HF_DETECT_VALIDATE_MAX. A light one (full = 0) does neither, at a fraction of the cost:
 * unrecognised binary data is HF_CT_UNKNOWN and valid is HF_VALID_UNCHECKED.
 * Returns 0 or -errno (-ENOMEM); on an error *out is still a well-formed profile (valid =
 * HF_VALID_UNCHECKED), so a caller may go on with it: no HF_MUST_USE. */
int hf_detect_content(struct hf_detect *d, const uint8_t *data, size_t n, uint64_t total, int full,
		      struct hf_profile *out);
/* 1 if p[0..n) is valid UTF-8 text (no NUL, few control bytes) */
int hf_detect_utf8_text(const uint8_t *p, size_t n);
/* The same over bytes that come in pieces, in order: final says what hf_detect_utf8_text
 * would of all of them (a file too large to hold: the backup streams its pieces). */
struct hf_detect_utf8 {
	uint64_t n, odd;  /* bytes seen; odd control bytes among them */
	uint8_t carry[4]; /* a sequence the last piece cut */
	uint8_t ncarry;
	uint8_t bad; /* a NUL, or no UTF-8, seen */
};
void hf_detect_utf8_init(struct hf_detect_utf8 *u);
void hf_detect_utf8_update(struct hf_detect_utf8 *u, const uint8_t *p, size_t n);
int hf_detect_utf8_final(const struct hf_detect_utf8 *u);
/* How many garbled spots p[0..n) has, counting up to max: control bytes no text uses
 * (NUL, C0 other than white space, backspace and ESC; DEL) with at least 4 bytes >= 0x80
 * within 16 bytes; a ^Z as the last byte (DOS end of file) is not one. Encrypted chunks
 * inside a text file make them; text in any charset, UTF-8, Latin-1 or CP1251, does not. */
size_t hf_detect_garbled_spots(const uint8_t *p, size_t n, size_t max);
/* 1 for the types hf_detect_decode_stream decodes: gzip, xz, zstd, bzip2 */
int hf_detect_stream_type(unsigned type);
/* Decodes a whole gzip, xz, zstd or bzip2 file (`type`), handing what it
 * decodes to put(arg, bytes, n) piece by piece. Returns HF_VALID_YES if it
 * decoded completely, HF_VALID_NO if not, HF_VALID_UNCHECKED for other types
 * or past HF_DETECT_OUTPUT_MAX decoded bytes, or -ENOMEM. */
typedef void (*hf_detect_sink)(void *arg, const uint8_t *p, size_t n);
HF_MUST_USE int hf_detect_decode_stream(const uint8_t *data, size_t n, unsigned type, hf_detect_sink put, void *arg);
/* Whether data[0..n), a whole file, decodes completely as `type` (whatever
 * its start says it is): HF_VALID_YES / NO, or HF_VALID_UNCHECKED for types
 * without a validator or inputs over HF_DETECT_VALIDATE_MAX. *container
 * (may be NULL) is set to what the decoding found out along the way: 1 for
 * an encryption container (encrypted ZIP entries or PDF, 7z, OpenPGP, age),
 * else 0. Returns -ENOMEM on failure. */
HF_MUST_USE int hf_detect_validate_as(const uint8_t *data, size_t n, unsigned type, int *container);
/* The whole profile of a file held in memory. Returns 0 or -errno. */
HF_MUST_USE int hf_detect_profile(struct hf_detect *d, const uint8_t *data, size_t n, struct hf_profile *out);

const char *hf_detect_type_name(unsigned type); /* "pdf", "zip", ...; "?" if out of range */

#endif
