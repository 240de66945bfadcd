/** Crash-safe file replacement: write a temp file in the same directory, fsync, rename. */
import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

async function syncDirectory(dir: string): Promise<void> {
  // Makes the rename itself durable; some filesystems refuse to fsync a directory, which is fine.
  try {
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    // best effort
  }
}

/**
 * Replaces `file` with `text` atomically: readers see the old or the new content, never a part.
 * The temp name starts with "." and does not end in ".toml", so config readers ignore it.
 */
export async function writeFileAtomic(file: string, text: string, mode = 0o644): Promise<void> {
  const dir = dirname(file)
  await mkdir(dir, { recursive: true })
  const temp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(temp, 'wx', mode)
  try {
    try {
      await handle.writeFile(text, 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, file)
  } catch (err) {
    await unlink(temp).catch(() => undefined)
    throw err
  }
  await syncDirectory(dir)
}

/** Deletes `file` (missing is fine) and makes the deletion durable. */
export async function removeFile(file: string): Promise<void> {
  await unlink(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err
  })
  await syncDirectory(dirname(file))
}
