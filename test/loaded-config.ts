// A config as ConfigSource holds it, from YAML text: for in-process server tests that swap `current` the way a hot
// reload does. Throws, naming every error, when the test's own config is broken.
import { formatConfigError, parseConfig } from '../server/config';
import type { LoadedConfig } from '../server/config-watch';

export function loadedConfig(yaml: string, file: string): LoadedConfig {
  const r = parseConfig(yaml, file);
  if (!r.ok) throw new Error(`test config is broken:\n${r.errors.map(formatConfigError).join('\n')}`);
  return { config: r.config, public: r.public, etag: r.etag, loadedAt: new Date() };
}
