-- Neovim (0.7 and later), headless: open the map named by CJM_NVIM_MAP, start `cjm lsp` on it
-- with Neovim's own client, wait for cjm's diagnostics and write them to CJM_NVIM_OUT, one per
-- line: line (0-based), byte column (0-based), code, severity, message.
local map = os.getenv("CJM_NVIM_MAP")
local out = os.getenv("CJM_NVIM_OUT")
local cmd = { os.getenv("CJM_PYTHON"), "-m", "cjm", "lsp" }

vim.cmd("edit " .. vim.fn.fnameescape(map))
local client = vim.lsp.start_client({
  name = "cjm",
  cmd = cmd,
  root_dir = vim.fn.fnamemodify(map, ":p:h"),
})
vim.lsp.buf_attach_client(0, client)

local done = vim.wait(60000, function() return #vim.diagnostic.get(0) > 0 end, 50)
local lines = {}
if not done then
  table.insert(lines, "timeout")
end
for _, d in ipairs(vim.diagnostic.get(0)) do
  local lsp = d.user_data and d.user_data.lsp or {}
  local code = d.code or lsp.code or ""
  local message = string.gsub(d.message, "\n", " ")
  table.insert(lines, string.format("%d\t%d\t%s\t%d\t%s", d.lnum, d.col, code, d.severity, message))
end
vim.fn.writefile(lines, out)
vim.lsp.stop_client(client)
vim.wait(2000, function() return vim.lsp.get_client_by_id(client) == nil end, 50)
vim.cmd("qa!")
