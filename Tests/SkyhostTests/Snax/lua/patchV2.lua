-- A snax hotfix: add and get answer "v2"; `count` is the service's own; hotfix() returns it.
local count

function response.add(n)
	count = count + n
	return "v2", count
end

function response.get()
	return "v2", count
end

function hotfix(...)
	return "count was", count, ...
end
