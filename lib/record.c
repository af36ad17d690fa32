// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "crc.h"
#include "record.h"

#define HDR sizeof(struct bpfam_rec_hdr)

_Static_assert(BPFAM_REC_ENC_MAX <= BPFAM_REC_MAX,
	       "every record must fit BPFAM_REC_MAX");

static size_t align_rec(size_t n)
{
	return (n + BPFAM_REC_ALIGN - 1) & ~(size_t)(BPFAM_REC_ALIGN - 1);
}

static size_t payload_size(const struct bpfam_record *r)
{
	switch (r->type) {
	case BPFAM_REC_MKNOD:
		return sizeof(struct bpfam_rec_mknod) + r->mknod.name_len;
	case BPFAM_REC_FMAP:
		return sizeof(struct bpfam_rec_fmap) +
		       r->fmap.map.nr * sizeof(struct bpfam_rec_extent);
	case BPFAM_REC_SETATTR:
		return sizeof(struct bpfam_rec_setattr);
	case BPFAM_REC_DELETE:
		return sizeof(struct bpfam_rec_delete);
	case BPFAM_REC_RECLAIM:
		return sizeof(struct bpfam_rec_reclaim);
	}
	return 0;
}

size_t bpfam_record_size(const struct bpfam_record *r)
{
	return align_rec(HDR + payload_size(r));
}

const char *bpfam_record_type_name(unsigned int type)
{
	switch (type) {
	case BPFAM_REC_MKNOD:
		return "mknod";
	case BPFAM_REC_FMAP:
		return "fmap";
	case BPFAM_REC_SETATTR:
		return "setattr";
	case BPFAM_REC_DELETE:
		return "delete";
	case BPFAM_REC_RECLAIM:
		return "reclaim";
	}
	return "?";
}

static void encode_payload(const struct bpfam_record *r, uint8_t *p)
{
	struct bpfam_rec_mknod *mk = (void *)p;
	struct bpfam_rec_fmap *fm = (void *)p;
	struct bpfam_rec_setattr *sa = (void *)p;
	struct bpfam_rec_delete *del = (void *)p;
	struct bpfam_rec_reclaim *rc = (void *)p;
	uint32_t i;

	switch (r->type) {
	case BPFAM_REC_MKNOD:
		mk->ino = htole64(r->mknod.ino);
		mk->parent = htole64(r->mknod.parent);
		mk->mode = htole32(r->mknod.mode);
		mk->uid = htole32(r->mknod.uid);
		mk->gid = htole32(r->mknod.gid);
		mk->name_len = htole32(r->mknod.name_len);
		mk->mtime_ns = htole64(r->mknod.mtime_ns);
		memcpy(mk + 1, r->mknod.name, r->mknod.name_len);
		break;
	case BPFAM_REC_FMAP:
		fm->ino = htole64(r->fmap.ino);
		fm->size = htole64(r->fmap.map.size);
		fm->chunk = htole64(r->fmap.map.chunk);
		fm->kind = htole32(r->fmap.map.kind);
		fm->nr = htole32(r->fmap.map.nr);
		for (i = 0; i < r->fmap.map.nr; i++) {
			fm->ext[i].dev_off = htole64(r->fmap.map.ext[i].dev_off);
			fm->ext[i].len = htole64(r->fmap.map.ext[i].len);
			fm->ext[i].dev = htole32(r->fmap.map.ext[i].dev);
		}
		break;
	case BPFAM_REC_SETATTR:
		sa->ino = htole64(r->setattr.ino);
		sa->valid = htole32(r->setattr.valid);
		sa->mode = htole32(r->setattr.mode);
		sa->uid = htole32(r->setattr.uid);
		sa->gid = htole32(r->setattr.gid);
		sa->mtime_ns = htole64(r->setattr.mtime_ns);
		break;
	case BPFAM_REC_DELETE:
		del->ino = htole64(r->del.ino);
		del->parent = htole64(r->del.parent);
		break;
	case BPFAM_REC_RECLAIM:
		rc->upto = htole64(r->reclaim.upto);
		break;
	}
}

static uint32_t record_crc(const void *buf, size_t len)
{
	struct bpfam_rec_hdr h;
	uint32_t state;

	/* The CRC covers the header as sealed, with the crc field zero. */
	memcpy(&h, buf, HDR);
	h.magic = htole32(BPFAM_REC_MAGIC);
	h.crc = 0;
	state = bpfam_crc32c_update(BPFAM_CRC_INIT, &h, HDR);
	state = bpfam_crc32c_update(state, (const uint8_t *)buf + HDR,
				    len - HDR);
	return ~state;
}

void bpfam_record_encode(const struct bpfam_record *r, void *buf)
{
	struct bpfam_rec_hdr *h = buf;
	size_t len = bpfam_record_size(r);

	memset(buf, 0, len);
	h->seq = htole64(r->seq);
	h->type = htole16(r->type);
	h->flags = htole16(r->flags);
	h->len = htole32((uint32_t)len);
	encode_payload(r, (uint8_t *)buf + HDR);
	h->crc = htole32(record_crc(buf, len));
}

void bpfam_record_seal(void *buf)
{
	struct bpfam_rec_hdr *h = buf;

	__atomic_store_n(&h->magic, htole32(BPFAM_REC_MAGIC), __ATOMIC_RELEASE);
}

bool bpfam_name_valid(const char *name, size_t len)
{
	if (len == 0 || len > BPFAM_NAME_MAX)
		return false;
	if (memchr(name, '/', len) || memchr(name, '\0', len))
		return false;
	return !(len == 1 && name[0] == '.') &&
	       !(len == 2 && name[0] == '.' && name[1] == '.');
}

#define BAD(...) bpfam_err(err, EBADMSG, __VA_ARGS__)

static int decode_mknod(const uint8_t *p, size_t n, const char *where,
			struct bpfam_record *r, struct bpfam_err *err)
{
	const struct bpfam_rec_mknod *mk = (const void *)p;
	uint32_t name_len;

	if (n < sizeof(*mk))
		return BAD("%s: mknod payload is %zu bytes, too short", where,
			   n);
	name_len = le32toh(mk->name_len);
	if (name_len > n - sizeof(*mk))
		return BAD("%s: mknod name length %u overruns the record",
			   where, name_len);
	r->mknod.ino = le64toh(mk->ino);
	r->mknod.parent = le64toh(mk->parent);
	r->mknod.mode = le32toh(mk->mode);
	r->mknod.uid = le32toh(mk->uid);
	r->mknod.gid = le32toh(mk->gid);
	r->mknod.mtime_ns = le64toh(mk->mtime_ns);
	r->mknod.name_len = name_len;
	if (!bpfam_name_valid((const char *)(mk + 1), name_len))
		return BAD("%s: mknod of inode %llu: invalid name (length %u)",
			   where, (unsigned long long)r->mknod.ino, name_len);
	memcpy(r->mknod.name, mk + 1, name_len);
	r->mknod.name[name_len] = '\0';
	if (mk->rsvd)
		return BAD("%s: mknod of inode %llu: reserved bytes not zero",
			   where, (unsigned long long)r->mknod.ino);
	if (!S_ISREG(r->mknod.mode) && !S_ISDIR(r->mknod.mode))
		return BAD("%s: mknod of '%s': mode 0%o is neither a file nor a directory",
			   where, r->mknod.name, r->mknod.mode);
	if (r->mknod.mode & ~(S_IFMT | 07777))
		return BAD("%s: mknod of '%s': mode 0%o has unknown bits",
			   where, r->mknod.name, r->mknod.mode);
	return 0;
}

static int check_extent(const struct bpfam_extent *e, uint32_t i,
			const char *where, uint64_t ino, struct bpfam_err *err)
{
	if (e->dev >= BPFAM_MAX_DEVS)
		return BAD("%s: fmap of inode %llu: extent %u names device %u (max %u)",
			   where, (unsigned long long)ino, i, e->dev,
			   BPFAM_MAX_DEVS - 1);
	if (!e->len || e->len % BPFAM_ALLOC_UNIT || e->dev_off % BPFAM_ALLOC_UNIT)
		return BAD("%s: fmap of inode %llu: extent %u (offset %llu, length %llu) is not a non-empty 2 MiB-aligned range",
			   where, (unsigned long long)ino, i,
			   (unsigned long long)e->dev_off,
			   (unsigned long long)e->len);
	if (e->dev_off + e->len < e->dev_off)
		return BAD("%s: fmap of inode %llu: extent %u wraps around",
			   where, (unsigned long long)ino, i);
	return 0;
}

/* Shape checks of an fmap that need nothing but the fmap itself. */
static int check_fmap_shape(const struct bpfam_fmap *m, const char *where,
			    uint64_t ino, struct bpfam_err *err)
{
	unsigned __int128 cap = 0;
	uint32_t i, max;
	int rc;

	max = m->kind == BPFAM_FMAP_INTERLEAVED ? BPFAM_MAX_STRIPS :
						  BPFAM_MAX_EXTENTS;
	if (m->kind != BPFAM_FMAP_SIMPLE && m->kind != BPFAM_FMAP_INTERLEAVED)
		return BAD("%s: fmap of inode %llu: unknown kind %u", where,
			   (unsigned long long)ino, m->kind);
	if (m->nr == 0 || m->nr > max)
		return BAD("%s: fmap of inode %llu: %u %s, must be 1..%u", where,
			   (unsigned long long)ino, m->nr,
			   m->kind == BPFAM_FMAP_SIMPLE ? "extents" : "strips",
			   max);
	if (m->kind == BPFAM_FMAP_SIMPLE && m->chunk)
		return BAD("%s: fmap of inode %llu: simple file with a chunk size",
			   where, (unsigned long long)ino);
	if (m->kind == BPFAM_FMAP_INTERLEAVED &&
	    (m->chunk < BPFAM_MIN_CHUNK || m->chunk > BPFAM_MAX_CHUNK ||
	     m->chunk % BPFAM_ALLOC_UNIT))
		return BAD("%s: fmap of inode %llu: chunk size %llu is not a multiple of 2 MiB in [2 MiB, 1 GiB]",
			   where, (unsigned long long)ino,
			   (unsigned long long)m->chunk);
	for (i = 0; i < m->nr; i++) {
		rc = check_extent(&m->ext[i], i, where, ino, err);
		if (rc)
			return rc;
		if (m->kind == BPFAM_FMAP_INTERLEAVED &&
		    (m->ext[i].len != m->ext[0].len || m->ext[i].len % m->chunk))
			return BAD("%s: fmap of inode %llu: strip %u is %llu bytes; strips must be equal multiples of the chunk",
				   where, (unsigned long long)ino, i,
				   (unsigned long long)m->ext[i].len);
		cap += m->ext[i].len;
	}
	if (m->size == 0 || cap < m->size)
		return BAD("%s: fmap of inode %llu: size %llu does not fit its extents (%llu bytes)",
			   where, (unsigned long long)ino,
			   (unsigned long long)m->size,
			   (unsigned long long)(cap > UINT64_MAX ? UINT64_MAX :
								    cap));
	if (cap - m->size >= (m->kind == BPFAM_FMAP_SIMPLE ?
				      BPFAM_ALLOC_UNIT :
				      (unsigned __int128)m->chunk * m->nr))
		return BAD("%s: fmap of inode %llu: extents hold %llu bytes, more than size %llu needs",
			   where, (unsigned long long)ino,
			   (unsigned long long)cap,
			   (unsigned long long)m->size);
	return 0;
}

static int decode_fmap(const uint8_t *p, size_t n, const char *where,
		       struct bpfam_record *r, struct bpfam_err *err)
{
	const struct bpfam_rec_fmap *fm = (const void *)p;
	struct bpfam_fmap *m = &r->fmap.map;
	uint32_t i, nr;

	if (n < sizeof(*fm))
		return BAD("%s: fmap payload is %zu bytes, too short", where, n);
	nr = le32toh(fm->nr);
	r->fmap.ino = le64toh(fm->ino);
	if (nr > BPFAM_MAX_EXTENTS ||
	    nr * sizeof(fm->ext[0]) > n - sizeof(*fm))
		return BAD("%s: fmap of inode %llu: %u extents overrun the record",
			   where, (unsigned long long)r->fmap.ino, nr);
	memset(m, 0, sizeof(*m));
	m->version = BPFAM_FMAP_VERSION;
	m->kind = le32toh(fm->kind);
	m->size = le64toh(fm->size);
	m->chunk = le64toh(fm->chunk);
	m->nr = nr;
	for (i = 0; i < nr; i++) {
		m->ext[i].dev_off = le64toh(fm->ext[i].dev_off);
		m->ext[i].len = le64toh(fm->ext[i].len);
		m->ext[i].dev = le32toh(fm->ext[i].dev);
		if (fm->ext[i].rsvd)
			return BAD("%s: fmap of inode %llu: extent %u reserved bytes not zero",
				   where, (unsigned long long)r->fmap.ino, i);
	}
	return check_fmap_shape(m, where, r->fmap.ino, err);
}

static int decode_setattr(const uint8_t *p, size_t n, const char *where,
			  struct bpfam_record *r, struct bpfam_err *err)
{
	const struct bpfam_rec_setattr *sa = (const void *)p;

	if (n < sizeof(*sa))
		return BAD("%s: setattr payload is %zu bytes, too short", where,
			   n);
	r->setattr.ino = le64toh(sa->ino);
	r->setattr.valid = le32toh(sa->valid);
	r->setattr.mode = le32toh(sa->mode);
	r->setattr.uid = le32toh(sa->uid);
	r->setattr.gid = le32toh(sa->gid);
	r->setattr.mtime_ns = le64toh(sa->mtime_ns);
	if (!r->setattr.valid || r->setattr.valid & ~BPFAM_ATTR_KNOWN)
		return BAD("%s: setattr of inode %llu: invalid attribute mask 0x%x",
			   where, (unsigned long long)r->setattr.ino,
			   r->setattr.valid);
	if (r->setattr.mode & ~07777)
		return BAD("%s: setattr of inode %llu: mode 0%o has non-permission bits",
			   where, (unsigned long long)r->setattr.ino,
			   r->setattr.mode);
	return 0;
}

static int decode_delete(const uint8_t *p, size_t n, const char *where,
			 struct bpfam_record *r, struct bpfam_err *err)
{
	const struct bpfam_rec_delete *del = (const void *)p;

	if (n < sizeof(*del))
		return BAD("%s: delete payload is %zu bytes, too short", where,
			   n);
	r->del.ino = le64toh(del->ino);
	r->del.parent = le64toh(del->parent);
	if (r->del.ino == BPFAM_ROOT_INO)
		return BAD("%s: delete of the root directory", where);
	return 0;
}

static int decode_reclaim(const uint8_t *p, size_t n, const char *where,
			  struct bpfam_record *r, struct bpfam_err *err)
{
	const struct bpfam_rec_reclaim *rc = (const void *)p;

	if (n < sizeof(*rc))
		return BAD("%s: reclaim payload is %zu bytes, too short", where,
			   n);
	r->reclaim.upto = le64toh(rc->upto);
	if (rc->rsvd)
		return BAD("%s: reclaim: reserved bytes not zero", where);
	if (!r->reclaim.upto || r->reclaim.upto > r->seq)
		return BAD("%s: reclaim up to %llu: not a record before this one",
			   where, (unsigned long long)r->reclaim.upto);
	return 0;
}

static int decode_payload(const uint8_t *p, size_t n, const char *where,
			  struct bpfam_record *r, struct bpfam_err *err)
{
	switch (r->type) {
	case BPFAM_REC_MKNOD:
		return decode_mknod(p, n, where, r, err);
	case BPFAM_REC_FMAP:
		return decode_fmap(p, n, where, r, err);
	case BPFAM_REC_SETATTR:
		return decode_setattr(p, n, where, r, err);
	case BPFAM_REC_DELETE:
		return decode_delete(p, n, where, r, err);
	case BPFAM_REC_RECLAIM:
		return decode_reclaim(p, n, where, r, err);
	}
	if (r->flags & BPFAM_REC_F_OPTIONAL)
		return 0;
	return BAD("%s: unknown record type %u (made by a newer bpfam?)", where,
		   r->type);
}

long bpfam_record_decode(const void *buf, size_t avail, uint64_t seq,
			 const char *where, struct bpfam_record *r,
			 struct bpfam_err *err)
{
	const struct bpfam_rec_hdr *h = buf;
	uint32_t len, want, got;
	int rc;

	if (avail < HDR)
		return 0;
	if (h->magic == 0)
		return 0;
	if (le32toh(h->magic) != BPFAM_REC_MAGIC)
		return BAD("%s: bad record magic 0x%08x", where,
			   le32toh(h->magic));
	len = le32toh(h->len);
	if (len < HDR || len > BPFAM_REC_MAX || len % BPFAM_REC_ALIGN ||
	    len > avail)
		return BAD("%s: record length %u is invalid", where, len);
	want = le32toh(h->crc);
	got = record_crc(buf, len);
	if (want != got)
		return BAD("%s: record checksum mismatch (stored 0x%08x, computed 0x%08x)",
			   where, want, got);
	memset(r, 0, offsetof(struct bpfam_record, mknod));
	r->seq = le64toh(h->seq);
	r->type = le16toh(h->type);
	r->flags = le16toh(h->flags);
	r->len = len;
	if (r->seq != seq)
		return BAD("%s: record has sequence %llu, expected %llu", where,
			   (unsigned long long)r->seq,
			   (unsigned long long)seq);
	if (r->flags & ~BPFAM_REC_F_OPTIONAL)
		return BAD("%s: record flags 0x%x unknown", where, r->flags);
	rc = decode_payload((const uint8_t *)buf + HDR, len - HDR, where, r,
			    err);
	if (rc)
		return rc;
	if (payload_size(r) && bpfam_record_size(r) != len)
		return BAD("%s: %s record is %u bytes, its contents need %zu",
			   where, bpfam_record_type_name(r->type), len,
			   bpfam_record_size(r));
	return len;
}
