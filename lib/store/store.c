/* store.c — backend-independent parts of the storage vtable. */
#include "store/store.h"

void hf_store_close(struct hf_store *s)
{
	if (s)
		s->ops->close(s);
}
