import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * A release is this manifest plus the files it names. Files are addressed by content (sha256), so a box that
 * already holds a file from an earlier release never receives it again, and every byte is checked on arrival.
 */
export const RELEASE_VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

// Release paths become paths on the box: relative, no `..`, no dot-only or empty segments, no leading `-` (it would
// read as an option), and a plain alphabet (npm package files fit in it), so no path escapes the release directory.
const RELEASE_PATH_PATTERN = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9_@+.][A-Za-z0-9._@+-]*(?:\/[A-Za-z0-9._@+-]+)*$/;

export const ReleaseFileSchema = z.object({
  path: z.string().max(512).regex(RELEASE_PATH_PATTERN, 'a relative path without .. or unusual characters'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  executable: z.boolean(),
});

export const ReleaseManifestSchema = z
  .object({
    format: z.literal(1),
    version: z.string().regex(RELEASE_VERSION_PATTERN, 'letters, digits and . _ + -, at most 64'),
    createdAt: z.string(),
    /** What the release carries (e.g. "runtime 0.4.1, node v24.21.0 bundled"), for people reading deploy rows. */
    description: z.string().max(500).default(''),
    files: z.array(ReleaseFileSchema).min(1),
  })
  .superRefine((manifest, ctx) => {
    const seen = new Set<string>();
    for (const file of manifest.files) {
      if (seen.has(file.path))
        ctx.addIssue({ code: 'custom', message: `duplicate path ${file.path}`, path: ['files'] });
      seen.add(file.path);
    }
    for (const file of manifest.files) {
      // A file cannot also be a directory of another file (a/b and a/b/c).
      if (seen.has(file.path.split('/').slice(0, -1).join('/'))) {
        ctx.addIssue({ code: 'custom', message: `${file.path} is inside a file`, path: ['files'] });
      }
    }
    if (!manifest.files.some((f) => f.path === 'bin/chainctl' && f.executable)) {
      ctx.addIssue({ code: 'custom', message: 'a release must contain an executable bin/chainctl', path: ['files'] });
    }
  });

export type ReleaseFile = z.infer<typeof ReleaseFileSchema>;
export type ReleaseManifest = z.infer<typeof ReleaseManifestSchema>;

/** Name of a file in a box's content store: its hash, plus `.x` when it must be executable. */
export function storeObjectName(file: Pick<ReleaseFile, 'sha256' | 'executable'>): string {
  return file.executable ? `${file.sha256}.x` : file.sha256;
}

/** Identity of a release's content: equal digests mean identical trees, whatever the version label says. */
export function manifestDigest(manifest: ReleaseManifest): string {
  const canonical = [...manifest.files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => `${f.sha256} ${f.executable ? 'x' : '-'} ${f.size} ${f.path}`)
    .join('\n');
  return createHash('sha256').update(`${manifest.version}\n${canonical}`).digest('hex');
}

export function isReleasePath(path: string): boolean {
  return RELEASE_PATH_PATTERN.test(path);
}
