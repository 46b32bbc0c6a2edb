local handles, state = _P.lua.handles, _P.lua.state
handles.hit = function() state.hits = state.hits + 10 return state.hits end
