// Client-side task ids: random ones, and ones derived from a batch key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace handinger {

/// A new task id of the service's own form: "tsk_" and a ULID (26 Crockford
/// base32 characters: 48 bits of milliseconds since the epoch, then 80
/// random bits from the kernel's CSPRNG). Ids sort by creation time.
std::string make_task_id();

/// The task id of input number `index` (0-based) of the batch named `key`
/// whose text is `input`: the same arguments give the same id in any process,
/// on any machine, so a batch run again after a crash names the tasks of
/// its first run instead of new ones (batch_options::id_key); an edited
/// input is a new task, and so is the same text at another index.
///
/// The scheme (version 1), fixed: SHA-256 of the bytes
///   "handinger-task-id-v1" 0x00
///   len(key) as 8 bytes big-endian, key
///   index as 8 bytes big-endian
///   len(input) as 8 bytes big-endian, input
/// whose first 16 bytes, read as a 128-bit big-endian number, are written
/// as a ULID is (26 Crockford base32 digits, the most significant first,
/// so the first digit is 0-7) after "tsk_". The id has a ULID's form but
/// not its meaning: the "time" part is hash too, so derived ids do not sort
/// by creation. Collisions are as unlikely as for random ids (128 bits).
/// The key should itself be unpredictable (a random one per batch): anyone
/// who knows it and an input can name that input's task.
std::string derive_task_id(std::string_view key, std::uint64_t index, std::string_view input);

} // namespace handinger
