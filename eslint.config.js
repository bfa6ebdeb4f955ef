import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "proto/gen/**", "test/artifacts/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly" } },
    rules: {
      // An empty catch hides failures; every catch must handle, count or rethrow.
      "no-empty": ["error", { allowEmptyCatch: false }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-imports": ["error", { patterns: [] }],
    },
  },
  {
    // Agent and collector share only proto/.
    files: ["agent/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [{ group: ["**/collector/**"], message: "the agent must not import collector code; share through proto/ only" }] }] },
  },
  {
    files: ["collector/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [{ group: ["**/agent/**"], message: "the collector must not import agent code; share through proto/ only" }] }] },
  },
);
