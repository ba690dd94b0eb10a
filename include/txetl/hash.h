/* hash.h - splitmix64 (Steele, Lea & Flood 2014; Vigna's constants): the one 64-bit mixer, as
 * a seed sequence (txgen's PRNG seeding) and as a fixed hash of an integer key (which shard
 * holds a directory block). Local, pure, inline. The values are part of txetl's contract: a
 * directory shard or a txgen seed must map the same way in every version. */
#ifndef TXETL_HASH_H
#define TXETL_HASH_H

#include <stdint.h>

/* Local. splitmix64's finalizer: a bijective avalanche of z. */
static inline uint64_t tx_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Local. The next value of the splitmix64 sequence whose state is *state (advanced). */
static inline uint64_t tx_splitmix64(uint64_t *state)
{
    return tx_mix64(*state += 0x9e3779b97f4a7c15ull);
}

/* Local. A fixed hash of key: the first splitmix64 value from state key. */
static inline uint64_t tx_hash_u64(uint64_t key)
{
    return tx_mix64(key + 0x9e3779b97f4a7c15ull);
}

#endif
