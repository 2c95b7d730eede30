// Package chunk encodes and decodes chunks: the compressed columnar form in
// which accrete stores the points of one field of one series over a time
// range — a strictly increasing int64 timestamp column and a value column
// of one [model.FieldType].
//
// It is a separate package because it is the encoding leaf under storage,
// as prometheus keeps tsdb/chunkenc under tsdb: it knows nothing of Pebble,
// keys, series or time partitions, so storage orchestrates and this package
// only turns columns into bytes and back, and can be fuzzed and benchmarked
// on its own. The byte layout is specified in docs/format.md ("Chunk
// encoding").
//
// # Using it
//
// Writers keep an [Encoder] and readers a [Decoder] (one per goroutine; each
// holds a zstd coder that is expensive to build and scratch buffers).
// Readers decode into a reused [Columns], whose typed slices (Times, Floats,
// Ints, ...) are the hot path of a scan: decoding allocates nothing once
// they have grown, except one string per string chunk. [ReadHeader] reads a
// chunk's type, count and time range without decoding it, so scans skip
// chunks outside their range. [MergeColumns] and [MergeRuns] merge an older
// and a newer run of points, the newer winning on equal timestamps, for
// overlapping chunks and late writes. The package-level [Append] and
// [Decode] borrow an Encoder or Decoder from a sync.Pool; the two pools are
// the package's only mutable state, and only caches.
//
// # Encodings
//
// A chunk is a header (version, type, count, first and last timestamp,
// sizes, CRC-32C) and a payload: the timestamp column followed by the value
// column.
//
//   - Timestamps: the first is in the header; then the first delta as a
//     uvarint and the delta-of-deltas bit-packed per block of 128 against
//     the block minimum. Regular intervals give blocks of width 0, 2 bytes per
//     128 timestamps (0.125 bits a timestamp before compression).
//   - Floats: Gorilla XOR.
//   - Integers and unsigned: first value, then the differences either
//     bit-packed per block of 128 (frame of reference) or zig-zag varints;
//     see below.
//   - Strings: a dictionary when it is smaller than the plain form (few
//     distinct values), else lengths and concatenated bytes.
//   - Booleans: a bitmap.
//
// Then the whole payload is compressed with zstd (fastest level) when that
// makes it at least a quarter smaller; otherwise it is stored as is, which
// is cheaper to read.
//
// # Measurements behind the choices
//
// On TSBS-like data (10 s timestamps; random walks in [0, 100] with N(0, 1)
// steps, rounded for integers), with go test -run XXX -bench . ./storage/chunk
// on an otherwise idle 2-core VM (sizes are exact; speeds vary, and run 2–4
// times slower when other processes load the machine):
//
//   - Integers: the steps have an entropy of 2.13 bits. Bit-packed
//     differences take 3 bits each: a 2,048-point chunk (storage's default)
//     is 0.424 bytes a value with header and timestamps, a day of 8,640
//     points 0.411, 100 points 0.74 (a 21-byte header included). zstd
//     cannot shrink the packed form; the same differences as zig-zag
//     varints compress to 0.363 (2,048 points) and 0.339 (a day), 15 % less,
//     because zstd's entropy coder works on bytes. That is below the
//     quarter a compressed payload must save, and it would cost reads dearly:
//     a 2,048-point chunk decodes in 2.8 µs packed (740 M values/s) against
//     7.4 µs from zstd'd varints (275 M values/s), most of the difference
//     being zstd's per-frame table set-up. So TSBS-like integers stay
//     packed; the encoder still tries the varint form for chunks of 512
//     points or more and keeps it when it saves a quarter (regular
//     patterns, repeated values). Encoding runs at 60–90 M values/s for a
//     day (both forms are tried) and 170 M for 100 points.
//   - Floats: Gorilla XOR takes 6.74 bytes a value on this data (random
//     walk values use their whole mantissa) and nothing compresses it
//     further, so it is stored uncompressed. Encoding runs at 90–140 M
//     values/s and decoding at 100–115 M values/s.
//   - zstd against S2 (BenchmarkBlockCompression): on the varint integer
//     payload zstd reaches 0.336 bytes a value and S2 0.579; on the packed
//     payload 0.365 and 0.393; on XOR floats neither gains anything. S2 is
//     4–10 times faster but saves too little to be worth a frame; zstd is
//     the compression for payloads that compress well (strings, regular
//     values).
package chunk
