-- skynet.sharedata.corelib: the views skynet.sharedata hands out, for code that builds on them
-- directly (Skynet v1.8.0 names). A root is a table frozen into the node's memory
-- (skyhost.frozentable); a view reads it (skynet.frozen).
--
--   corelib.box(root) -> view        a view of root (holding a reference while it lives)
--   corelib.update(view, root)       the view and its subtable views read root from now on
--   corelib.flush(view)              (nothing to do: a view reads its current root)
--   corelib.copy(root, keys...)      a private deep copy of root, or of root[k1][k2]...
--   corelib.host                     the keeper's side: new(tbl) -> root, delete(root) (drops the
--                                    keeper's reference), incref, decref, getref

local ft = require "skyhost.frozentable"
local frozen = require "skynet.frozen"

local corelib = {
	host = {
		new = ft.build,
		delete = ft.release,
		incref = ft.retain,
		decref = ft.release,
		getref = ft.refs,
	},
	box = frozen.view,
	update = frozen.rebind,
}

function corelib.flush()
end

function corelib.copy(root, ...)
	local node = frozen.view(root)
	for i = 1, select("#", ...) do
		node = node[select(i, ...)]
		if not frozen.is_view(node) then
			return node
		end
	end
	return frozen.copy(node)
end

return corelib
