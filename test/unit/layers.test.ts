import path from 'node:path';
import { ESLint } from 'eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');

/** ESLint with the layer rule of eslint.config.mjs alone, on a file that is not written anywhere. */
async function lintAs(file: string, code: string): Promise<string[]> {
  const { layerZones } = (await import(path.join(ROOT, 'eslint.config.mjs'))) as { layerZones: unknown[] };
  const eslint = new ESLint({
    cwd: ROOT,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { 'import-x': importX as never },
        settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })] },
        rules: { 'import-x/no-restricted-paths': ['error', { zones: layerZones }] },
      },
    ],
  });
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return result!.messages.map((m) => m.message);
}

// docs/architecture.md: each folder of src/ imports only the layers below it.
describe('the layers of src/', () => {
  it('refuse an import that points up: the store reaching into workflow code', async () => {
    const messages = await lintAs(
      'src/store/planted.ts',
      "import { makeDispatch } from '../workflows/dispatch';\nexport const x = makeDispatch;\n",
    );
    expect(messages).toEqual([
      expect.stringContaining('store/ may import only contract, domain (docs/architecture.md)'),
    ]);
  });

  it('refuse the CLI reaching into activities, and the contract into anything', async () => {
    expect(await lintAs('src/cli/planted.ts', "export { createActivities } from '../activities';\n")).toHaveLength(1);
    expect(await lintAs('src/contract/planted.ts', "export { paths } from '../domain/paths';\n")).toHaveLength(1);
  });

  it('let an import point down', async () => {
    expect(
      await lintAs('src/activities/planted.ts', "export { classifyResponse } from '../domain/classify';\n"),
    ).toEqual([]);
  });
});
