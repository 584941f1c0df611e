#!/bin/bash
# 17-forged-objects.sh — findings S1, S2 and U4 end to end: objects forged by
# someone who can add files to the repository but holds no key file (only the
# public key in `config`) must change nothing.
#
#   S1: index objects whose id-list part is copied from a real index and whose
#       main part (sealed to the public key) names the real pack under a key
#       of the forger's: restore, check and backup must be unaffected, and
#       check must name the forged objects.
#   S2: a snapshot sealed to the public key, dated 2100, with the backup's
#       host and paths: it must not become `latest` nor the next backup's
#       parent.
#   U4 and the version message: a damaged key file is not "wrong passphrase";
#       a version-1 repository says it was made by an older holdfast.
# The forging tool is a small C program (libsodium and OpenSSL, as an
# attacker would write it), compiled here. In s3 mode the forged objects are
# put into the bucket, and the damaged ones put over the originals (a new
# version each: what anyone with the bucket's keys can do, Object Lock or not).
. "$(dirname "$0")/lib.sh"

FORGE=$T/forge
cat >"$T/forge.c" <<'EOF'
/* forge index REPO PACKHEX... | forge snapshot REPO HOST PATH: writes one
 * forged object into REPO and prints its name */
#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = malloc(1 << 24);
	if (!f || !p)
		exit(2);
	*n = fread(p, 1, 1 << 24, f);
	fclose(f);
	return p;
}
static uint8_t buf[1 << 20];
static size_t len;
static void put(const void *p, size_t n) { memcpy(buf + len, p, n); len += n; }
static void varint(uint64_t v) { do { uint8_t b = v & 127; v >>= 7; if (v) b |= 128; put(&b, 1); } while (v); }
static void bytes(const char *s) { varint(strlen(s)); put(s, strlen(s)); }
static void unhex(const char *h, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sscanf(h + 2 * i, "%2hhx", &out[i]);
}
/* the first object in dir (readdir order) */
static uint8_t *template(const char *repo, const char *dir, size_t *n)
{
	char path[4096];
	struct dirent *de;
	DIR *d;
	snprintf(path, sizeof(path), "%s/%s", repo, dir);
	d = opendir(path);
	while (d && (de = readdir(d)))
		if (strlen(de->d_name) == 64) {
			snprintf(path, sizeof(path), "%s/%s/%s", repo, dir, de->d_name);
			closedir(d);
			return slurp(path, n);
		}
	exit(2);
}
int main(int argc, char **argv)
{
	uint8_t pk[32], key[32], sealed[80], nonce[12], tag[16], h[32], *cfg, *tpl, obj[1 << 21];
	size_t cn, tn, on = 0, tail;
	char *p, path[4096], name[65];
	int outl, fd;
	EVP_CIPHER_CTX *c;

	if (argc < 4 || sodium_init() < 0)
		return 2;
	snprintf(path, sizeof(path), "%s/config", argv[2]);
	cfg = slurp(path, &cn);
	cfg[cn] = 0;
	p = strstr((char *)cfg, "public_key ");
	if (!p)
		return 2;
	unhex(p + 11, pk, 32);
	tpl = template(argv[2], strcmp(argv[1], "index") == 0 ? "index" : "snapshots", &tn);
	tail = tpl[7] != '1' ? 32 : 0; /* later formats end in a tag: copy the real one */
	randombytes_buf(key, 32);
	if (strcmp(argv[1], "index") == 0) {
		varint((uint64_t)argc - 3);
		for (int i = 3; i < argc; i++) {
			uint8_t id[32], k[32];
			unhex(argv[i], id, 32);
			randombytes_buf(k, 32);
			put(id, 32);
			put(k, 32); /* the pack, under a key of the forger's */
			varint(0);
		}
	} else {
		uint8_t tree[32];
		int64_t t = 4102444800LL * 1000000000; /* 2100-01-01 */
		randombytes_buf(tree, 32);
		varint(1);
		varint((uint64_t)t << 1);
		bytes(argv[3]);
		bytes("root");
		varint(1);
		bytes(argv[4]);
		put(tree, 32);
		varint(0);
		varint(0);
		varint(1), varint(1), varint(1), varint(0);
	}
	crypto_box_seal(sealed, key, 32, pk);
	memcpy(obj, tpl, 8);
	memcpy(obj + 8, sealed, 80);
	on = 88;
	randombytes_buf(nonce, 12);
	memcpy(obj + on, nonce, 12);
	on += 12;
	c = EVP_CIPHER_CTX_new();
	EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce);
	EVP_EncryptUpdate(c, NULL, &outl, tpl, 8);
	EVP_EncryptUpdate(c, obj + on, &outl, buf, (int)len);
	on += (size_t)outl;
	EVP_EncryptFinal_ex(c, obj + on, &outl);
	EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
	memcpy(obj + on, tag, 16);
	on += 16;
	if (strcmp(argv[1], "index") == 0) { /* the real index's id-list part and its length */
		uint32_t dlen;
		memcpy(&dlen, tpl + tn - tail - 4, 4);
		memcpy(obj + on, tpl + tn - tail - 4 - dlen, dlen + 4);
		on += dlen + 4;
	}
	memcpy(obj + on, tpl + tn - tail, tail);
	on += tail;
	crypto_hash_sha256(h, obj, on);
	for (int i = 0; i < 32; i++)
		sprintf(name + 2 * i, "%02x", h[i]);
	snprintf(path, sizeof(path), "%s/%s/%s", argv[2], strcmp(argv[1], "index") == 0 ? "index" : "snapshots",
		 name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0444);
	if (fd < 0 || write(fd, obj, on) != (ssize_t)on)
		return 2;
	close(fd);
	puts(name);
	return 0;
}
EOF
if cc -O1 -o "$FORGE" "$T/forge.c" $(pkg-config --cflags --libs libsodium libcrypto) 2>"$T/cc.err"; then
	ok "forging tool built"
else
	fail "forging tool does not build"
	cat "$T/cc.err"
	finish
fi

R=$(repo_url repo) RD=$(repo_dir repo)
SRC=$T/src
mkdir -p "$SRC/docs"
for i in 1 2 3 4 5; do head -c $((i * 70000)) /dev/urandom >"$SRC/docs/f$i.bin"; done
echo "hello" >"$SRC/a.txt"
hf init --repo "$R"
check_rc "init" 0
hf backup --repo "$R" --host h1 "$SRC"
check_rc "first backup" 0
hf snapshots --repo "$R"
REAL=$(awk 'NR == 2 { print $1 }' "$T/out")

# The forger works on a directory: the repository's own, or in s3 mode a copy
# of its config, index and snapshot objects (its templates), whose new objects
# are then put into the bucket (as anyone with the bucket's keys can).
if [ "$HF_TEST_REPO_KIND" = s3 ]; then
	FD=$T/stage
	mkdir -p "$FD/index" "$FD/snapshots"
	repo_get repo config "$FD/config"
	for kind in index snapshots; do
		repo_objects repo $kind | while read -r _ rel; do repo_get repo "$rel" "$FD/$rel"; done
	done
else
	FD=$RD
fi
forged() { # KIND NAME: the forger's new object, into the repository
	[ "$FD" = "$RD" ] || repo_put repo "$1/$2" "$FD/$1/$2"
}
# the index object the repository loads first: the first in directory order,
# or in the bucket's listing (sorted)
first_index() {
	if [ "$HF_TEST_REPO_KIND" = s3 ]; then
		repo_objects repo index | head -n 1 | sed 's|.* index/||'
	else
		(cd "$RD/index" && ls -U | head -n 1)
	fi
}

# S1: forged index objects naming every pack, until one comes first in
# directory order (the order the index is loaded in)
chmod u+w "$FD/index"
packs=$(repo_objects repo data | sed 's|.*/||')
forged_idx=""
for try in $(seq 1 40); do
	name=$("$FORGE" index "$FD" $packs) || break
	forged index "$name" || break
	forged_idx="$forged_idx $name"
	[ "$(first_index)" = "$name" ] && [ "$try" -ge 6 ] && break
done
check_true "forged index objects written" test -n "$forged_idx"
chmod a-w "$FD/index"

# S2: a forged snapshot dated 2100 with the backup's host and paths
chmod u+w "$FD/snapshots"
forged_snap=$("$FORGE" snapshot "$FD" h1 "$(cd "$SRC" && pwd -P)") && forged snapshots "$forged_snap"
check_true "forged snapshot written" test -n "$forged_snap"
chmod a-w "$FD/snapshots"

hf restore --repo "$R" latest --target "$T/r1"
check_rc "restore latest with forged objects present" 0
check_tree "restored tree is the backed-up one" "$SRC" "$T/r1/$(cd "$SRC" && pwd -P)"
hf snapshots --repo "$R"
check_eq "latest is the real snapshot" "$REAL" "$(awk 'NR > 1 && length($1) == 8 && $1 ~ /^[0-9a-f]+$/ { l = $1 } END { print l }' "$T/out")"
hf check --repo "$R" --read-data
check_rc "check reports the forged objects" 1
first_idx=$(echo $forged_idx | cut -d' ' -f1)
check_grep "check names a forged index object" "index object ${first_idx:0:16} cannot be read" "$T/err"
check_grep "check says why (authentication)" "index object .*authentication failed" "$T/err"
check_grep "check names the forged snapshot" "snapshot object ${forged_snap:0:16}" "$T/err"
check_true "check reports no damaged blob of the intact packs" bash -c "! grep -q 'blob .* is damaged\|file data' '$T/err'"

# the next backup compares against the real snapshot, not the forged one
echo "hello again" >"$SRC/a.txt"
hf backup --repo "$R" --host h1 "$SRC"
check_rc "second backup beside the forged objects" 0
check_grep "second backup compared against the real snapshot" "1 changed, 5 unchanged" "$T/out"
hf restore --repo "$R" latest --target "$T/r2"
check_rc "restore latest after the second backup" 0
check_tree "second restore is the new tree" "$SRC" "$T/r2/$(cd "$SRC" && pwd -P)"

# U4: a damaged key file is named, not taken for a wrong passphrase
R2=$(repo_url repo2)
hf init --repo "$R2"
key=$(repo_objects repo2 keys | head -n 1 | sed 's|.* keys/||')
first_20_bytes() { head -c 20 "$1" >"$1.20" && mv "$1.20" "$1"; }
repo_edit repo2 "keys/$key" first_20_bytes
hf snapshots --repo "$R2"
check_rc "damaged only key file: refused" 1
check_grep "damaged key file is named" "key file ${key:0:16} is damaged" "$T/err"
check_true "not called a wrong passphrase" bash -c "! grep -q 'wrong passphrase' '$T/err'"

# a version-1 repository (made before objects were authenticated)
to_version_1() { sed -i 's/^version 3$/version 1/' "$1"; }
repo_edit repo2 config to_version_1
hf snapshots --repo "$R2"
check_rc "version-1 repository: refused" 1
check_grep "version-1 message" "unsupported repository format version 1: made by an older holdfast; create a new repository" "$T/err"

finish
