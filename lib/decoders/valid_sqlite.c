/* valid_sqlite.c — SQLite databases: deserialize read-only into an in-memory connection and run
 * PRAGMA integrity_check, which walks every b-tree page and index.
 *
 * The hostile schema is never trusted (defensive mode, no trusted schema) and a progress handler
 * bounds the work. A WAL-mode header is patched to rollback mode in a private copy. */
#include <errno.h>
#include <string.h>

#include <sqlite3.h>

#include "decoders/decoders_int.h"

#define STEPS_MAX 2000000000ll /* VM instructions; progress is counted every 10000 */

struct sq_budget {
	long long steps;
};

static int sq_progress(void *arg)
{
	struct sq_budget *b = arg;

	b->steps += 10000;
	return b->steps > STEPS_MAX; /* non-zero interrupts the statement */
}

int hf_dec_valid_sqlite(const uint8_t *p, size_t n)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	unsigned char *copy = NULL;
	struct sq_budget budget = {0};
	unsigned int flags = SQLITE_DESERIALIZE_READONLY;
	int ret = HF_VALID_NO, rc, rows = 0, ok = 0;

	if (n < 512 || n % 512 != 0)
		return HF_VALID_NO; /* a database is whole pages of 512..65536 bytes */
	rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		ret = -ENOMEM;
		goto out;
	}
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
	sqlite3_progress_handler(db, 10000, sq_progress, &budget);
	if (p[18] == 2 || p[19] == 2) {
		/* WAL mode: memdb cannot open it; the WAL file is not part of this version anyway */
		copy = sqlite3_malloc64(n);
		if (!copy) {
			ret = -ENOMEM;
			goto out;
		}
		memcpy(copy, p, n);
		copy[18] = copy[19] = 1;
		flags |= SQLITE_DESERIALIZE_FREEONCLOSE;
	}
	rc = sqlite3_deserialize(db, "main", copy ? copy : (unsigned char *)(uintptr_t)p, (sqlite3_int64)n,
				 (sqlite3_int64)n, flags);
	copy = NULL; /* owned by sqlite now, even on failure */
	if (rc != SQLITE_OK)
		goto out;
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check(1)", -1, &st, NULL) != SQLITE_OK)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);

		rows++;
		ok = rows == 1 && t && strcmp((const char *)t, "ok") == 0;
	}
	if (rc == SQLITE_INTERRUPT)
		ret = HF_VALID_UNCHECKED;
	else if (rc == SQLITE_DONE && ok)
		ret = HF_VALID_YES;
	else if (rc == SQLITE_NOMEM)
		ret = -ENOMEM;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	sqlite3_free(copy);
	return ret;
}
