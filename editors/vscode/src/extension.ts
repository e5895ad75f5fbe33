// Starts `cjm lsp` for *.cjm.yaml files and hands it the `cjm.*` settings.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;

function serverOptions(): ServerOptions {
  const command = vscode.workspace.getConfiguration("cjm").get<string[]>("path", ["cjm", "lsp"]);
  const [program, ...args] = command.length > 0 ? command : ["cjm", "lsp"];
  return { command: program, args, transport: TransportKind.stdio };
}

function settings(): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration("cjm");
  return {
    run: config.get("run"),
    lint: config.get("lint"),
    debounceMs: config.get("debounceMs"),
    config: config.get("config"),
    observed: config.get("observed"),
    docsUrl: config.get("docsUrl"),
  };
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", pattern: "**/*.cjm.yaml" },
      { scheme: "file", pattern: "**/*.cjm.yml" },
    ],
    initializationOptions: { cjm: settings() },
    synchronize: {
      configurationSection: "cjm",
      fileEvents: [
        vscode.workspace.createFileSystemWatcher("**/cjm.toml"),
        vscode.workspace.createFileSystemWatcher("**/pyproject.toml"),
        vscode.workspace.createFileSystemWatcher("**/*.cjm.{yaml,yml}"),
      ],
    },
  };
  client = new LanguageClient("cjm", "cjm", serverOptions(), clientOptions);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("cjm.path") && client) {
        await client.stop();
        client = new LanguageClient("cjm", "cjm", serverOptions(), clientOptions);
        await client.start();
      }
    }),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  if (client) {
    await client.stop();
  }
}
