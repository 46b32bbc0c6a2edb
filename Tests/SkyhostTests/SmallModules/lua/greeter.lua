-- A snax service whose init prints "greeter" and its argument.
function init(name)
	print("greeter", name)
end
